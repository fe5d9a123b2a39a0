"""Plain immutable records that cross process boundaries as JSON: the burst job, what the client and the
server measured. Each record writes and reads its own JSON, so both sides of a pipe share one contract."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

# A line the burst worker writes on stderr to say what it is doing (anything else there is error output).
PROGRESS_PREFIX = "burstcheck-progress: "


@dataclass(frozen=True)
class ServerTiming:
    """What the timing middleware (checker/app_server/serve.py) saw inside the server for one request."""

    pid: int
    thread_id: int  # the OS thread id (threading.get_native_id): not reused while a burst runs
    enter_s: float  # time.monotonic() when the request entered the app (same clock as the client's)
    exit_s: float  # when the app called start_response
    cpu_s: float  # thread CPU time the request used
    # ASGI servers on asyncio: the worker's event loop, blocked in total (since it started) when the request
    # entered and when it was answered, and its worst lag meanwhile; None elsewhere.
    loop_blocked_enter_s: float | None = None
    loop_blocked_exit_s: float | None = None
    loop_lag_max_s: float | None = None

    @property
    def in_app_s(self) -> float:
        return self.exit_s - self.enter_s

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerTiming:
        def optional(key: str) -> float | None:
            value = data.get(key)
            return float(value) if value is not None else None

        return cls(
            pid=int(data["pid"]),
            thread_id=int(data["thread_id"]),
            enter_s=float(data["enter_s"]),
            exit_s=float(data["exit_s"]),
            cpu_s=float(data["cpu_s"]),
            loop_blocked_enter_s=optional("loop_blocked_enter_s"),
            loop_blocked_exit_s=optional("loop_blocked_exit_s"),
            loop_lag_max_s=optional("loop_lag_max_s"),
        )

    @classmethod
    def from_header(cls, value: str) -> ServerTiming:
        """Parse the middleware's response header (compact JSON written by checker/app_server/serve.py)."""
        return cls.from_json(json.loads(value))


@dataclass(frozen=True)
class RequestTiming:
    """One request as the client saw it; times are time.monotonic() seconds."""

    sent_s: float  # when its last byte was released: from here on the server had the whole request
    done_s: float  # when its response body had been read
    status: int | None
    error: str | None
    server: ServerTiming | None = None
    body_bytes: int = 0  # response body size as sent (not decoded); the client counts it and drops it

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
        )


@dataclass(frozen=True)
class Measurement:
    """One calibration and its bursts, for one endpoint on one running server."""

    calibration: tuple[RequestTiming, ...]
    bursts: tuple[tuple[RequestTiming, ...], ...]
    # CPU cores that processes other than this run's used meanwhile (None: not sampled).
    others_cpu_cores: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "calibration": [t.to_json() for t in self.calibration],
            "bursts": [[t.to_json() for t in burst] for burst in self.bursts],
            "others_cpu_cores": self.others_cpu_cores,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        others = data.get("others_cpu_cores")
        return cls(
            calibration=tuple(RequestTiming.from_json(t) for t in data["calibration"]),
            bursts=tuple(tuple(RequestTiming.from_json(t) for t in burst) for burst in data["bursts"]),
            others_cpu_cores=float(others) if others is not None else None,
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BurstJob:
        return cls(**data)


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
