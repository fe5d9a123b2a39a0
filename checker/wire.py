"""Every record that crosses a process boundary: the burst job (burstcheck -> burst worker), what the client
measured (worker -> burstcheck), and what the server measured (the app's process -> the client, in a response
header: checker.app_server.timing). Each record writes and reads its own JSON, so both sides of a pipe share
one contract."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from checker.app_server.records import typed
from checker.app_server.spec import (
    EXIT_APP_IMPORT_FAILED,
    EXIT_SERVER_MISSING,
    EXIT_WRONG_INTERFACE,
    MESSAGE_PREFIX,
    AppInfo,
    InspectSpec,
    RouteTrial,
    ServerSpec,
    read_spec,
    write_spec,
)
from checker.app_server.timing import ServerTiming

# A line the burst worker writes on stderr to say what it is doing (anything else there is error output).
PROGRESS_PREFIX = "burstcheck-progress: "


@dataclass(frozen=True)
class RequestTiming:
    """One request as the client saw it; times are time.monotonic() seconds."""

    sent_s: float  # when its last byte was released: from here on the server had the whole request
    done_s: float  # when its response body had been read
    status: int | None
    error: str | None
    server: ServerTiming | None = None
    body_bytes: int = 0  # response body size as sent (not decoded); the client counts it and drops it
    # Why the server's timing header could not be read, when it was there but unreadable (a proxy that
    # rewrote it, a middleware of another version): counted and reported, never dropped silently.
    timing_error: str | None = None
    # When the burst's requests were let into the app (the release the client gave the server); None for a
    # request sent alone (calibration).
    released_s: float | None = None

    @property
    def latency_s(self) -> float:
        return self.done_s - self.sent_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestTiming:
        server = data.get("server")
        return cls(
            sent_s=float(data["sent_s"]),
            done_s=float(data["done_s"]),
            status=data.get("status"),
            error=data.get("error"),
            server=ServerTiming.from_json(server) if server else None,
            body_bytes=int(data.get("body_bytes", 0)),
            timing_error=data.get("timing_error"),
            released_s=data.get("released_s"),
        )


@dataclass(frozen=True)
class Measurement:
    """One calibration and its bursts, for one endpoint on one running server."""

    calibration: tuple[RequestTiming, ...]
    bursts: tuple[tuple[RequestTiming, ...], ...]
    # CPU cores that processes other than this run's used meanwhile (None: not sampled).
    others_cpu_cores: float | None = None
    # How many requests the server serves at once by its settings (a pool; waitress's connection_limit), where
    # burstcheck launched it with them; None for a thread per request, or a command it cannot see into.
    server_capacity: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "calibration": [t.to_json() for t in self.calibration],
            "bursts": [[t.to_json() for t in burst] for burst in self.bursts],
            "others_cpu_cores": self.others_cpu_cores,
            "server_capacity": self.server_capacity,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        others = data.get("others_cpu_cores")
        capacity = data.get("server_capacity")
        return cls(
            calibration=tuple(RequestTiming.from_json(t) for t in data["calibration"]),
            bursts=tuple(tuple(RequestTiming.from_json(t) for t in burst) for burst in data["bursts"]),
            others_cpu_cores=float(others) if others is not None else None,
            server_capacity=int(capacity) if capacity is not None else None,
        )


@dataclass(frozen=True)
class BurstJob:
    """What the burst worker is asked to do (orchestrator -> worker, on its stdin)."""

    url: str
    method: str
    headers: dict[str, str]
    body: str | None
    timeout_s: float
    calibration_requests: int
    requests: int
    repeats: int
    warm_up_requests: int = 1  # the untimed burst before calibrating, that wakes every worker

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BurstJob:
        return typed(cls, data)


@dataclass(frozen=True)
class WorkerOutput:
    """What the burst worker measured (worker -> orchestrator, on its stdout)."""

    calibration: tuple[RequestTiming, ...]
    bursts: tuple[tuple[RequestTiming, ...], ...]
    client_peak_rss_kib: int
    timed_out: str | None = None  # which request timed out, when one did: the worker stops there

    @property
    def measurement(self) -> Measurement:
        return Measurement(calibration=self.calibration, bursts=self.bursts)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.measurement.to_json(),
            "client_peak_rss_kib": self.client_peak_rss_kib,
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerOutput:
        measurement = Measurement.from_json(data)
        timed_out = data.get("timed_out")
        return cls(
            measurement.calibration,
            measurement.bursts,
            int(data["client_peak_rss_kib"]),
            str(timed_out) if timed_out is not None else None,
        )


__all__ = [
    "EXIT_APP_IMPORT_FAILED",
    "EXIT_SERVER_MISSING",
    "EXIT_WRONG_INTERFACE",
    "MESSAGE_PREFIX",
    "PROGRESS_PREFIX",
    "AppInfo",
    "BurstJob",
    "InspectSpec",
    "Measurement",
    "RequestTiming",
    "RouteTrial",
    "ServerSpec",
    "ServerTiming",
    "WorkerOutput",
    "read_spec",
    "write_spec",
]
