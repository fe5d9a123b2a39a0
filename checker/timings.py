"""Plain immutable records that cross process boundaries as JSON: what the client and server measured."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ServerTiming:
    """What the burstcheck middleware saw inside the server for one request."""

    pid: int
    thread_id: int
    enter_s: float  # time.monotonic() when the request entered the app (same clock as the client's)
    exit_s: float  # when the app called start_response
    cpu_s: float  # thread CPU time the request used

    @property
    def in_app_s(self) -> float:
        return self.exit_s - self.enter_s


@dataclass(frozen=True)
class RequestTiming:
    """One request as the client saw it; times are time.monotonic() seconds."""

    sent_s: float
    done_s: float
    status: int | None
    error: str | None
    server: ServerTiming | None = None

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
            server=ServerTiming(**server) if server else None,
        )


@dataclass(frozen=True)
class Measurement:
    """One calibration and its bursts, for one endpoint on one running server."""

    calibration: tuple[RequestTiming, ...]
    bursts: tuple[tuple[RequestTiming, ...], ...]
