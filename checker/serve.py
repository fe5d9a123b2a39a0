"""Server-process entry point: `python -m checker.serve SPEC_JSON` imports the user's app and serves it
in one mode on loopback. Started only by `checker.servers`, which owns the process and its teardown.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

from checker.middleware import TimingMiddleware

# Exit status that tells the parent the app could not be imported (shown with the traceback).
EXIT_APP_IMPORT_FAILED = 3

WSGIApp = Callable[..., Any]


def load_app(import_string: str, app_dir: str) -> WSGIApp:
    """Import 'package.module:attribute' with `app_dir` first on sys.path."""
    sys.path.insert(0, app_dir)
    module_name, _, attribute = import_string.partition(":")
    target: Any = importlib.import_module(module_name)
    for name in attribute.split("."):
        target = getattr(target, name)
    if not callable(target):
        raise TypeError(f"{import_string} is a {type(target).__name__}, not a WSGI application")
    return target  # type: ignore[no-any-return]


def serve_werkzeug(app: WSGIApp, host: str, port: int, mode: dict[str, Any]) -> None:
    from werkzeug.serving import run_simple

    run_simple(
        host,
        port,
        app,
        threaded=mode["threaded"],
        processes=mode["processes"],
        use_reloader=False,
        use_debugger=False,
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
    spec = json.loads(argv[1])
    try:
        app = load_app(spec["app"], spec["app_dir"])
    except BaseException:
        traceback.print_exc()
        print(f"burstcheck: could not import the app {spec['app']!r}", file=sys.stderr)
        return EXIT_APP_IMPORT_FAILED
    mode = spec["mode"]
    wrapped = TimingMiddleware(app, inject_delay_s=spec["inject_delay_ms"] / 1000)
    SERVERS[mode["server"]](wrapped, spec["host"], spec["port"], mode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
