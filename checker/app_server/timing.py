"""What the timing middleware saw inside the server for one request, and the response header that carries
it: one record, one writer (both middlewares call `to_header`), one reader (the burst client calls
`from_header`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from .records import typed

HEADER = "X-Burstcheck-Server"


@dataclass(frozen=True)
class ServerTiming:
    """One request inside the server: which process and OS thread served it, when it entered and left the app
    (time.monotonic(): one system-wide clock, the client's too), and the thread CPU time it used."""

    pid: int
    thread_id: int  # the OS thread id (threading.get_native_id): not reused while a burst runs
    enter_s: float  # when the request entered the app
    exit_s: float  # when the app answered (start_response, or http.response.start)
    cpu_s: float  # thread CPU time the request used
    # ASGI servers on asyncio: the worker's event loop, blocked in total (since it started) when the request
    # entered and when it was answered, and its worst lag meanwhile; None elsewhere.
    loop_blocked_enter_s: Optional[float] = None
    loop_blocked_exit_s: Optional[float] = None
    loop_lag_max_s: Optional[float] = None

    @property
    def in_app_s(self) -> float:
        return self.exit_s - self.enter_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ServerTiming:
        return typed(cls, data)

    def to_header(self) -> str:
        """Compact JSON, without the fields that do not apply (no loop on a WSGI server)."""
        present = {key: value for key, value in asdict(self).items() if value is not None}
        return json.dumps(present, separators=(",", ":"))

    @classmethod
    def from_header(cls, value: str) -> ServerTiming:
        """The header's record; ValueError, naming what is wrong, when it cannot be read."""
        return cls.from_json(json.loads(value))
