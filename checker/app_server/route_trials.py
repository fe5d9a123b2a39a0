"""`burstcheck init`: call each route a few times inside the app's own process (no server, no socket) and time
it, so that init can burst the route that does the most work. WSGI apps get a minimal environ; ASGI apps a
synthetic scope on an event loop of their own, after the lifespan protocol's startup (FastAPI's lifespan,
Quart's before_serving). Every call is bounded, and so are all of them together: a route that hangs or streams
for ever costs one call's timeout, never the whole inspection."""

from __future__ import annotations

import asyncio
import contextlib
import io
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Optional

from .spec import RouteTrial, streamed_after_answer

CALLS_PER_ROUTE = 3  # the first call may warm a cache (Django's URLconf, a connection): the median of three
CALL_TIMEOUT_S = 5.0  # a route slower than this is no candidate for a burst of simultaneous requests
TOTAL_BUDGET_S = 20.0  # all calls together; routes not reached by then are listed untried
# A call that takes this long is not repeated: one such sample says enough, and the budget goes further.
SLOW_CALL_S = 1.0
BODY_LIMIT_BYTES = 1 << 20  # a body past this is cut: a stream that never ends must not fill memory
LIFESPAN_TIMEOUT_S = 10.0  # the app's startup: a database pool, a cache
# The shutdown is a courtesy (the process ends right after): not worth waiting for on a blocked event loop.
SHUTDOWN_TIMEOUT_S = 2.0
# How much later than a call's own timeout its thread gives up on the loop: the call's timeout fires first
# unless the loop is blocked.
LOOP_GRACE_S = 1.0
RESPONSIVE_WITHIN_S = 0.2  # an event loop that cannot run a no-op this fast is blocked
HOST = "127.0.0.1"  # what the request says it was sent to: Django's ALLOWED_HOSTS lets loopback in by default


class CallFailed(Exception):
    """One call did not produce a complete answer; the message says why, in a few words."""


def try_routes(app: Any, interface: str, routes: list[str]) -> tuple[list[RouteTrial], Optional[str]]:
    """Each route's median time and status (in `routes`' order), and a note when the app could not be called."""
    if interface == "asgi":
        with AsgiCaller(app) as caller:
            if caller.startup_error is not None:
                return [], caller.startup_error
            return _trials(routes, caller.call), None
    return _trials(routes, lambda path, timeout_s: _in_thread(lambda: _wsgi_call(app, path), timeout_s)), None


# A call's outcome: the status, the time until the whole body was read, and until the answer started.
Call = tuple[int, float, float]


def _trials(routes: list[str], call: Callable[[str, float], Call]) -> list[RouteTrial]:
    deadline = time.monotonic() + TOTAL_BUDGET_S
    trials = []
    for path in routes:
        times: list[float] = []
        status: Optional[int] = None
        error: Optional[str] = None
        streamed = False
        for _ in range(CALLS_PER_ROUTE):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error = error or f"not tried: the {TOTAL_BUDGET_S:g} s for trying routes had passed"
                break
            try:
                status, elapsed_s, started_s = call(path, min(CALL_TIMEOUT_S, remaining))
            except CallFailed as exc:
                error = str(exc)
                break
            except Exception as exc:  # the app raised: that route is no candidate, the others still are
                error = f"raised {type(exc).__name__}: {exc}"[:200]
                break
            times.append(elapsed_s)
            streamed = streamed_after_answer(elapsed_s, started_s)
            if status != 200 or elapsed_s >= SLOW_CALL_S:
                break
        median_ms = statistics.median(times) * 1000 if times else None
        trials.append(
            RouteTrial(path=path, status=status, median_ms=median_ms, calls=len(times), error=error, streamed=streamed)
        )
    return trials


def _in_thread(work: Callable[[], Call], timeout_s: float) -> Call:
    """Run a blocking call in a daemon thread and wait at most `timeout_s`: a call that hangs is left behind
    (the inspecting process ends with os._exit, whatever such threads still do)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name="burstcheck-try-route", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not outcome:
        raise CallFailed(f"no complete answer within {timeout_s:.3g} s")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    if isinstance(outcome[0], BaseException):  # SystemExit, KeyboardInterrupt from the app: that call failed
        raise CallFailed(f"raised {type(outcome[0]).__name__}")
    return outcome[0]  # type: ignore[no-any-return]


def _wsgi_environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": HOST,
        "HTTP_HOST": HOST,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _wsgi_call(app: Any, path: str) -> Call:
    """One GET through the WSGI interface: the status, and the times until the whole body was read and until
    the answer started."""
    answered: list[str] = []
    started_at: list[float] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        answered.append(status)
        started_at.append(time.perf_counter())
        return lambda data: None

    started = time.perf_counter()
    body = app(_wsgi_environ(path), start_response)
    size = 0
    try:
        for chunk in body:
            size += len(chunk)
            if size > BODY_LIMIT_BYTES:
                raise CallFailed(f"a body of more than {BODY_LIMIT_BYTES >> 20} MiB (cut)")
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    elapsed_s = time.perf_counter() - started
    if not answered:
        raise CallFailed("the app never called start_response")
    return int(answered[-1].split()[0]), elapsed_s, started_at[0] - started


class AsgiCaller:
    """An event loop in a thread of its own, the app's lifespan started on it, and GET calls sent through it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="burstcheck-asgi-loop", daemon=True)
        self.state: dict[str, Any] = {}  # the lifespan's state, copied into each request (Starlette reads it)
        self.startup_error: Optional[str] = None
        self.blocked = False  # an earlier call left the loop blocked: later calls would only wait for it
        self._lifespan: Optional[Any] = None  # the lifespan's task while it runs, and the queue it receives from
        self._lifespan_inbox: Optional[Any] = None

    def __enter__(self) -> AsgiCaller:
        self.thread.start()
        try:
            self._wait(self._start_lifespan(), LIFESPAN_TIMEOUT_S)
        except CallFailed as exc:
            self.startup_error = f"the app's lifespan startup did not complete: {exc}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lifespan is not None and self.startup_error is None:
            with contextlib.suppress(CallFailed):  # a shutdown that hangs changes nothing of what was found
                self._wait(self._stop_lifespan(), SHUTDOWN_TIMEOUT_S)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def _wait(self, coroutine: Any, timeout_s: float) -> Any:
        """The coroutine's result, run on the loop's thread; a loop blocked by the app (a blocking call in an
        async route) cannot time the coroutine out itself, so this thread does."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout_s + LOOP_GRACE_S)
        except FutureTimeout:
            future.cancel()
            raise CallFailed(f"no complete answer within {timeout_s:.3g} s (the event loop was blocked)") from None

    async def _start_lifespan(self) -> None:
        """The lifespan protocol's startup; an app that does not speak it (Django) raises or returns at once."""
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": self.state}
        task = asyncio.ensure_future(self.app(scope, inbox.get, outbox.put))
        task.add_done_callback(_retrieve)
        said = asyncio.ensure_future(outbox.get())
        done, _ = await asyncio.wait({task, said}, return_when=asyncio.FIRST_COMPLETED)
        if said not in done:  # the app returned or raised without a word: it has no lifespan
            said.cancel()
            return
        self._lifespan, self._lifespan_inbox = task, inbox
        message = said.result()
        if message.get("type") == "lifespan.startup.failed":
            raise CallFailed(str(message.get("message") or "lifespan.startup.failed"))

    async def _stop_lifespan(self) -> None:
        assert self._lifespan is not None and self._lifespan_inbox is not None
        self._lifespan_inbox.put_nowait({"type": "lifespan.shutdown"})
        await asyncio.wait({self._lifespan}, timeout=SHUTDOWN_TIMEOUT_S)

    def call(self, path: str, timeout_s: float) -> Call:
        if self.blocked and not self._responsive():
            raise CallFailed("not tried: an earlier route still blocks the event loop")
        try:
            return self._wait(self._call(path, timeout_s), timeout_s)  # type: ignore[no-any-return]
        except CallFailed:
            self.blocked = not self._responsive()
            raise

    def _responsive(self) -> bool:
        try:
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop).result(RESPONSIVE_WITHIN_S)
        except FutureTimeout:
            return False
        return True

    async def _call(self, path: str, timeout_s: float) -> Call:
        """One GET through the ASGI interface: the status, and the times until the last body message and until
        the answer started."""
        answered: list[int] = []
        started_at: list[float] = []
        done = asyncio.Event()
        size = 0
        sent_request = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                answered.append(int(message["status"]))
                started_at.append(time.perf_counter())
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if not message.get("more_body", False) or size > BODY_LIMIT_BYTES:
                    done.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", HOST.encode())],
            "client": (HOST, 50000),
            "server": (HOST, 80),
            "extensions": {},
            "state": dict(self.state),
        }
        started = time.perf_counter()
        task = asyncio.ensure_future(self.app(scope, receive, send))
        finished = asyncio.ensure_future(done.wait())
        try:
            await asyncio.wait({task, finished}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.cancel()
        elapsed_s = time.perf_counter() - started
        if task.done():
            task.result()  # the app's exception, if it raised
        else:
            task.cancel()
        if size > BODY_LIMIT_BYTES:
            raise CallFailed(f"a body of more than {BODY_LIMIT_BYTES >> 20} MiB (cut)")
        if not done.is_set():
            raise CallFailed(f"no complete answer within {timeout_s:.3g} s")
        if not answered:
            raise CallFailed("the app sent no http.response.start")
        return answered[-1], elapsed_s, started_at[0] - started


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Take a finished task's exception, which is reported otherwise (not here: as the lifespan's message)."""
    if not task.cancelled():
        task.exception()
