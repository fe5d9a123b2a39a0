"""The two headers between the burst client and the timing middleware, each with one writer and one reader:

- the release (request): when the burst's requests may enter the app. The client sets it when it sends the
  burst; the middleware holds every request it has admitted until then, so the app gets them together
  whatever the server's accept loop and parser cost per request, and a lock or a pool inside it shows even
  on an endpoint of a millisecond.
- the timing (response): what the middleware saw inside the server for the request (both middlewares call
  `to_header`, the burst client calls `from_header`)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from typing import Any, Optional

from .records import typed

HEADER = "X-Burstcheck-Server"
RELEASE_HEADER = "X-Burstcheck-Release"
# The client writes the release into requests prepared before it knows it: a placeholder of the same width,
# replaced in the prepared bytes when the burst is sent (a fixed width keeps Content-Length and offsets true).
RELEASE_WIDTH = 20
RELEASE_PLACEHOLDER = "0" * (RELEASE_WIDTH - 7) + "." + "0" * 6
# A release further ahead than this is not burstcheck's (a clock of another machine, a forged header): the
# request enters at once rather than wait.
RELEASE_MAX_WAIT_S = 5.0


def format_release(release_s: float) -> str:
    """time.monotonic() seconds, zero-padded to the placeholder's width."""
    return f"{release_s:0{RELEASE_WIDTH}.6f}"


def wait_for_release(value: Optional[str], now_s: float) -> float:
    """How long a request that carries the release header `value` waits before entering the app (0: none)."""
    if not value:
        return 0.0
    try:
        wait_s = float(value) - now_s
    except ValueError:
        return 0.0
    return wait_s if 0.0 < wait_s <= RELEASE_MAX_WAIT_S else 0.0


class _SchedStat:
    """The calling thread's schedstat, read through the C library without letting go of the GIL (ctypes'
    PyDLL)."""

    PATH = b"/proc/thread-self/schedstat"

    def __init__(self) -> None:
        import ctypes

        self.buffer = ctypes.create_string_buffer
        libc = ctypes.PyDLL(None)  # failures show in the return values; errno is not read
        self.open, self.pread, self.close = libc.open, libc.pread, libc.close
        self.open.argtypes, self.open.restype = [ctypes.c_char_p, ctypes.c_int], ctypes.c_int
        self.pread.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_long]
        self.pread.restype = ctypes.c_ssize_t
        self.close.argtypes, self.close.restype = [ctypes.c_int], ctypes.c_int

    @classmethod
    def load(cls) -> Optional[_SchedStat]:
        if not sys.platform.startswith("linux"):
            return None
        try:
            return cls()
        except (ImportError, OSError, AttributeError):  # a Python without ctypes: no CPU waits, as on macOS
            return None

    def run_delay_s(self) -> Optional[float]:
        fd = self.open(self.PATH, os.O_RDONLY | os.O_CLOEXEC)
        if fd < 0:
            return None
        try:
            text = self.buffer(64)
            size = self.pread(fd, text, 64, 0)
        finally:
            self.close(fd)
        try:
            return int(text.raw[: max(size, 0)].split()[1]) / 1e9
        except (ValueError, IndexError):
            return None


_SCHEDSTAT = _SchedStat.load()


def thread_cpu_wait() -> Optional[float]:
    """Seconds this thread has spent runnable but waiting for a CPU, since it started (Linux's schedstat); None
    elsewhere. Read without letting go of the GIL: through Python's files, a thread that then waited to get it
    back (and for a CPU) had that wait counted on the far side of the reading - in a request's CPU wait though
    it came before the request entered (measured beside CPU hogs: up to 20 ms in requests of 3.5 ms)."""
    return _SCHEDSTAT.run_delay_s() if _SCHEDSTAT is not None else None


@dataclass(frozen=True)
class ServerTiming:
    """One request inside the server: which process and OS thread served it, when it entered and left the app
    (time.monotonic(): one system-wide clock, the client's too), and the thread CPU time it used."""

    pid: int
    thread_id: int  # the OS thread id (threading.get_native_id): not reused while a burst runs
    enter_s: float  # when the request entered the app (after the release, for a burst's requests)
    exit_s: float  # when the app answered (start_response, or http.response.start)
    cpu_s: float  # thread CPU time the request used
    # ASGI servers on asyncio: the worker's event loop, blocked in total (since it started) when the request
    # entered and when it was answered, and its worst lag meanwhile; None elsewhere.
    loop_blocked_enter_s: Optional[float] = None
    loop_blocked_exit_s: Optional[float] = None
    loop_lag_max_s: Optional[float] = None
    # When the middleware got the request, before it waited for the burst's release; None without a release.
    admitted_s: Optional[float] = None
    # Threaded WSGI servers: other requests still in the app when this one answered (up to a sample), and how
    # many of them had made progress meanwhile (see wsgi_timing); None where not recorded.
    peers: Optional[int] = None
    peers_progressed: Optional[int] = None
    # The worker process's CPU clock (all its threads) when the request entered (ASGI only) and when it was
    # answered: an event loop serves many requests on one thread, so a request's own CPU is not its thread's;
    # threads that answer at the pace of one core show it between their answers. And, on ASGI, anyio's thread
    # pool (`def` endpoints of Starlette and FastAPI) at the answer: its size, the threads in use, and the tasks
    # waiting for one. None elsewhere.
    process_cpu_enter_s: Optional[float] = None
    process_cpu_exit_s: Optional[float] = None
    pool_size: Optional[int] = None
    pool_borrowed: Optional[int] = None
    pool_waiting: Optional[int] = None
    # ASGI on Linux: how long the event loop's thread had waited, in all, to get a CPU while it had work
    # (/proc's schedstat) when the request entered and when it was answered. None elsewhere.
    loop_cpu_wait_enter_s: Optional[float] = None
    loop_cpu_wait_exit_s: Optional[float] = None
    # WSGI on Linux: the same for the request's own thread - a busy machine that kept it from a CPU delayed it,
    # which is not a queue in the app. None elsewhere.
    cpu_wait_enter_s: Optional[float] = None
    cpu_wait_exit_s: Optional[float] = None

    @property
    def cpu_wait_s(self) -> float:
        """How long the thread that ran the request - its own (WSGI), or its event loop's (ASGI) - waited for a
        CPU while the request was in the app (0 where not recorded)."""
        enter, exit = self.cpu_wait_enter_s, self.cpu_wait_exit_s
        if enter is None or exit is None:
            enter, exit = self.loop_cpu_wait_enter_s, self.loop_cpu_wait_exit_s
        if enter is None or exit is None:
            return 0.0
        return max(0.0, exit - enter)

    @property
    def in_app_s(self) -> float:
        return self.exit_s - self.enter_s

    @property
    def undelayed_in_app_s(self) -> float:
        """Time in the app less the time a busy machine kept the request's thread from a CPU: the app's own."""
        return self.in_app_s - self.cpu_wait_s

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
