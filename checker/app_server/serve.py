"""burstcheck's server entry: run by its path inside the app's own interpreter, never imported there.

    APP_PYTHON /.../checker/app_server/serve.py SPEC_JSON

It loads the user's app (an import string, a factory call with literal arguments, or a Django project's
wsgi module), wraps it in a timing middleware, and serves it in one mode on loopback. It uses the standard
library and the chosen server package only (werkzeug, gunicorn or waitress), nothing of burstcheck's, and
keeps to what Python 3.9 accepts: the app's interpreter may be another CPython than burstcheck's.
Started only by checker.servers, which owns the process and its teardown.
"""

from __future__ import annotations

import ast
import asyncio
import collections
import contextlib
import importlib
import inspect
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Optional

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Call = Optional[tuple[list[Any], dict[str, Any]]]

SERVER_TIMING_HEADER = "X-Burstcheck-Server"
# Exit statuses that tell the parent what went wrong before serving (shown with the traceback).
EXIT_APP_IMPORT_FAILED = 3
EXIT_SERVER_MISSING = 4
SERVER_PACKAGES = {
    "werkzeug": "werkzeug",
    "gunicorn": "gunicorn",
    "waitress": "waitress",
    "uvicorn": "uvicorn",
    "hypercorn": "hypercorn",
}
ASGI_SERVERS = ("uvicorn", "hypercorn")
EXIT_WRONG_INTERFACE = 5
# The event loop beats this often; a beat overdue by more than LOOP_LATE_S means the loop is blocked (a healthy
# loop runs a due timer within a fraction of a millisecond).
LOOP_TICK_S = 0.005
LOOP_LATE_S = 0.002
LOOP_SAMPLE_S = 0.002  # how often the watchdog thread looks
LOOP_EVENTS_KEPT = 100_000


class TimingMiddleware:
    """Reports what happened inside the server for each request, in a response header: which process and
    OS thread served it, when it entered and left the app (time.monotonic(): on Linux one system-wide clock,
    the client's too), and the thread CPU time it used. The body is untouched."""

    def __init__(self, app: WSGIApp, inject_delay_s: float = 0.0) -> None:
        self.app = app
        self.inject_delay_s = inject_delay_s

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        enter_s = time.monotonic()
        cpu_start_s = time.thread_time()
        if self.inject_delay_s:
            # Stands in for work, so that a server's own queueing shows even on a 2 ms endpoint.
            time.sleep(self.inject_delay_s)

        def timed_start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            # Most frameworks (Flask, Django) call start_response once the view has returned: the request's
            # work is done here, even if the body is iterated afterwards.
            timing = {
                "pid": os.getpid(),
                "thread_id": threading.get_native_id(),  # OS thread ids are not reused while a burst runs
                "enter_s": enter_s,
                "exit_s": time.monotonic(),
                "cpu_s": time.thread_time() - cpu_start_s,
            }
            headers = [*headers, (SERVER_TIMING_HEADER, json.dumps(timing, separators=(",", ":")))]
            return start_response(status, headers, *exc_info)

        return self.app(environ, timed_start_response)


def parse_target(target: str) -> tuple[str, list[str], Call]:
    """'module:attr.sub' or 'module:factory(literal, name=literal)' -> (module, attribute path, args, kwargs).

    Raises ValueError with a plain reason; checker.config validates the same way, by calling this.
    """
    module, sep, expression = target.partition(":")
    if not sep or not module or not expression:
        raise ValueError("use 'module:attribute' or 'module:factory()'")
    if not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"{module!r} is not a module name")
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValueError(f"{expression!r} is not an attribute or a call") from None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    is_call = isinstance(node, ast.Call)
    if isinstance(node, ast.Call):
        try:
            args = [ast.literal_eval(a) for a in node.args]
            if any(k.arg is None for k in node.keywords):
                raise ValueError
            kwargs = {str(k.arg): ast.literal_eval(k.value) for k in node.keywords}
        except ValueError:
            raise ValueError("a factory's arguments must be literals (strings, numbers, True/False/None)") from None
        node = node.func
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ValueError(f"{expression!r} is not an attribute or a call")
    names.insert(0, node.id)
    return module, names, (args, kwargs) if is_call else None


def load_app(target: str, app_dir: str) -> WSGIApp:
    """Import the app with `app_dir` first on sys.path; call the factory if the target is a call."""
    module_name, names, call = parse_target(target)
    sys.path.insert(0, app_dir)
    obj: Any = importlib.import_module(module_name)
    for name in names:
        obj = getattr(obj, name)
    if call is not None:
        args, kwargs = call
        obj = obj(*args, **kwargs)
    if not callable(obj):
        raise TypeError(f"{target} is a {type(obj).__name__}, not a WSGI application")
    return obj  # type: ignore[no-any-return]


class LoopMonitor:
    """How long the event loop was unable to run its callbacks (a blocking call in `async def`, or CPU-bound
    work in one), one per worker process, started by its first request.

    The loop runs a heartbeat every LOOP_TICK_S; a watchdog thread samples how stale the last beat is. Time
    sampled while the beat is overdue by more than LOOP_LATE_S counts as blocked. A thread, because a late
    timer would only be seen once the loop runs again, after the blocking requests were answered."""

    def __init__(self) -> None:
        self.blocked_s = 0.0  # since the worker started
        self.events: Any = collections.deque(maxlen=LOOP_EVENTS_KEPT)  # (when, how late the beat was)
        self.started = False
        self.last_beat = 0.0

    def start(self) -> None:
        if self.started:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # trio (hypercorn worker_class: trio): no lag figures
            return
        self.started = True
        self.last_beat = time.monotonic()

        def beat() -> None:
            self.last_beat = time.monotonic()
            loop.call_later(LOOP_TICK_S, beat)

        loop.call_later(LOOP_TICK_S, beat)
        threading.Thread(target=self._watch, name="burstcheck-loop-watch", daemon=True).start()

    def _watch(self) -> None:
        previous = time.monotonic()
        while True:
            time.sleep(LOOP_SAMPLE_S)
            now = time.monotonic()
            late = now - self.last_beat - LOOP_TICK_S
            if late > LOOP_LATE_S:
                self.blocked_s += now - previous
                self.events.append((now, late))
            previous = now

    def worst_since(self, since_s: float) -> float:
        """The worst lag recorded since `since_s`. Read from the newest back and stopped at the first older
        one: this runs in every answer, inside the measured time, and the deque holds up to 100 000 events.
        (Indexed, not iterated: the watchdog thread appends meanwhile.)"""
        worst, back = 0.0, 1
        while True:
            try:
                when, late = self.events[-back]
            except IndexError:
                return worst
            if when < since_s:
                return worst
            worst, back = max(worst, late), back + 1


LOOP = LoopMonitor()


class AsgiTimingMiddleware:
    """The ASGI side of TimingMiddleware: the same figures in the same header, set on `http.response.start`,
    plus the event loop's blocked time (cumulative, at entry and at the answer) and its worst lag meanwhile.
    Lifespan and websocket events, and the body, pass through untouched."""

    def __init__(self, app: Any, inject_delay_s: float = 0.0) -> None:
        self.app = app
        self.inject_delay_s = inject_delay_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        LOOP.start()
        enter_s = time.monotonic()
        cpu_start_s = time.thread_time()
        blocked_at_enter = LOOP.blocked_s
        if self.inject_delay_s:
            await _sleep(self.inject_delay_s)

        async def timed_send(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                timing = {
                    "pid": os.getpid(),
                    "thread_id": threading.get_native_id(),
                    "enter_s": enter_s,
                    "exit_s": time.monotonic(),
                    "cpu_s": time.thread_time() - cpu_start_s,
                }
                if LOOP.started:
                    timing["loop_blocked_enter_s"] = blocked_at_enter
                    timing["loop_blocked_exit_s"] = LOOP.blocked_s
                    timing["loop_lag_max_s"] = LOOP.worst_since(enter_s)
                header = (SERVER_TIMING_HEADER.lower().encode(), json.dumps(timing).encode())
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, timed_send)


async def _sleep(seconds: float) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        await trio.sleep(seconds)
        return
    await asyncio.sleep(seconds)


def is_asgi(app: Any) -> bool:
    """An ASGI app is a coroutine function of (scope, receive, send), or an object whose __call__ is one."""
    if inspect.iscoroutinefunction(app):
        return True
    call = inspect.getattr_static(type(app), "__call__", None) if not inspect.isroutine(app) else None
    return call is not None and inspect.iscoroutinefunction(call)


def _prefork(workers: int, host: str, port: int, serve_one: Callable[[socket.socket], None]) -> None:
    """Bind once, then run `workers` processes that each serve on the shared socket (as gunicorn does); the
    parent waits and, on SIGTERM, ends them. Multi-worker modes of uvicorn and hypercorn would need the app as
    an import string; this keeps the app object, middleware and all."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    if workers == 1:
        serve_one(sock)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                serve_one(sock)
            finally:
                os._exit(0)
        children.append(pid)

    def stop(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


def serve_uvicorn(app: Any, host: str, port: int, mode: dict[str, Any]) -> None:
    import uvicorn

    def serve_one(sock: socket.socket) -> None:
        config = uvicorn.Config(app, loop=mode["loop"], http=mode["http"], lifespan="auto", log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])

    _prefork(mode["workers"], host, port, serve_one)


def serve_hypercorn(app: Any, host: str, port: int, mode: dict[str, Any]) -> None:
    from hypercorn.config import Config

    def serve_one(sock: socket.socket) -> None:
        config = Config()
        config.bind = [f"fd://{sock.fileno()}"]
        config.loglevel = "WARNING"
        config.graceful_timeout = 2
        if mode["worker_class"] == "trio":
            import trio
            from hypercorn.trio import serve as trio_serve

            trio.run(trio_serve, app, config)
            return
        from hypercorn.asyncio import serve as asyncio_serve

        if mode["worker_class"] == "uvloop":
            import uvloop

            uvloop.install()
        asyncio.run(asyncio_serve(app, config))

    _prefork(mode["workers"], host, port, serve_one)


def serve_werkzeug(app: WSGIApp, host: str, port: int, mode: dict[str, Any]) -> None:
    from werkzeug.serving import run_simple

    run_simple(
        host, port, app, threaded=mode["threaded"], processes=mode["processes"], use_reloader=False, use_debugger=False
    )


def serve_gunicorn(app: WSGIApp, host: str, port: int, mode: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{host}:{port}",
        "workers": mode["workers"],
        "worker_class": mode["worker_class"],
        "threads": mode["threads"],
        "graceful_timeout": 2,  # teardown should not wait long for in-flight requests
        "timeout": 120,  # a slow burst request must not get its worker killed
    }

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return app

    Application().run()


def serve_waitress(app: WSGIApp, host: str, port: int, mode: dict[str, Any]) -> None:
    import waitress

    waitress.serve(app, host=host, port=port, threads=mode["threads"])


SERVERS: dict[str, Callable[[Any, str, int, dict[str, Any]], None]] = {
    "uvicorn": serve_uvicorn,
    "hypercorn": serve_hypercorn,
    "werkzeug": serve_werkzeug,
    "gunicorn": serve_gunicorn,
    "waitress": serve_waitress,
}


def get_routes(app: Any) -> list[str]:
    """`burstcheck init`: a Flask (or werkzeug Map) app's GET routes that take no parameters, sorted."""
    url_map = getattr(app, "url_map", None)
    if url_map is None:
        return []
    found = set()
    for rule in url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith("/static"):
            found.add(rule.rule)
    return sorted(found)


def main(argv: list[str]) -> int:
    # Running a file puts its folder first on sys.path: nothing of burstcheck's may shadow the app's names.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p) != here]
    spec = json.loads(argv[1])
    if spec.get("routes"):
        try:
            app = load_app(spec["app"], spec["app_dir"])
        except BaseException:
            traceback.print_exc()
            return EXIT_APP_IMPORT_FAILED
        print(json.dumps(get_routes(app)))
        return 0
    mode = spec["mode"]
    package = SERVER_PACKAGES[mode["server"]]
    try:
        importlib.import_module(package)
    except ImportError:
        print(f"burstcheck: {package} is not installed for {sys.executable}", file=sys.stderr)
        return EXIT_SERVER_MISSING
    try:
        app = load_app(spec["app"], spec["app_dir"])
    except BaseException:
        traceback.print_exc()
        print(f"burstcheck: could not import the app {spec['app']!r}", file=sys.stderr)
        return EXIT_APP_IMPORT_FAILED
    asgi_server = mode["server"] in ASGI_SERVERS
    if is_asgi(app) != asgi_server:
        kind, other = ("an ASGI", "WSGI") if is_asgi(app) else ("a WSGI", "ASGI")
        print(
            f"burstcheck: {spec['app']!r} is {kind} app, and {mode['server']} serves {other} apps: choose"
            f" {'uvicorn or hypercorn' if is_asgi(app) else 'werkzeug, gunicorn or waitress'} for it",
            file=sys.stderr,
        )
        return EXIT_WRONG_INTERFACE
    delay_s = spec["inject_delay_ms"] / 1000
    wrapped = AsgiTimingMiddleware(app, delay_s) if asgi_server else TimingMiddleware(app, inject_delay_s=delay_s)
    SERVERS[mode["server"]](wrapped, spec["host"], spec["port"], mode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
