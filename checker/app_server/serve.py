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
import importlib
import json
import os
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
SERVER_PACKAGES = {"werkzeug": "werkzeug", "gunicorn": "gunicorn", "waitress": "waitress"}


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


SERVERS: dict[str, Callable[[WSGIApp, str, int, dict[str, Any]], None]] = {
    "werkzeug": serve_werkzeug,
    "gunicorn": serve_gunicorn,
    "waitress": serve_waitress,
}


def main(argv: list[str]) -> int:
    # Running a file puts its folder first on sys.path: nothing of burstcheck's may shadow the app's names.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p) != here]
    spec = json.loads(argv[1])
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
    wrapped = TimingMiddleware(app, inject_delay_s=spec["inject_delay_ms"] / 1000)
    SERVERS[mode["server"]](wrapped, spec["host"], spec["port"], mode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
