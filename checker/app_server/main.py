"""The server entry's work, once launch.py has loaded this package: read the spec, check the server package,
import the app, wrap it in the timing middleware of its interface, and serve it (or, for `burstcheck init`,
say what the app is and which routes it has)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any

from .asgi_timing import AsgiTimingMiddleware
from .launchers import LAUNCHERS
from .records import typed
from .route_trials import try_routes
from .routes import framework_of, get_routes
from .spec import (
    EXIT_APP_IMPORT_FAILED,
    EXIT_SERVER_MISSING,
    EXIT_WRONG_INTERFACE,
    MESSAGE_PREFIX,
    AppInfo,
    InspectSpec,
    ServerSpec,
    read_spec,
)
from .target import AppRaised, TargetNotFound, interface_of, load_app
from .wsgi_timing import TimingMiddleware


def main(argv: list[str]) -> int:
    spec = read_spec(argv[1])
    if isinstance(spec, InspectSpec):
        return inspect(spec)
    return serve(spec)


# Frames of these are burstcheck's and the import machinery's, not the app's: a traceback starts after them.
_NOT_THE_APPS = (os.path.dirname(os.path.abspath(__file__)) + os.sep, "<frozen importlib", importlib.__file__ or "")


def _loaded(target: str, app_dir: str) -> Any:
    """The app, or None after saying why not on stderr: one line (MESSAGE_PREFIX) naming what is missing, after
    the app's own traceback where its code raised."""
    try:
        return load_app(target, app_dir)
    except TargetNotFound as exc:
        print(f"{MESSAGE_PREFIX}{exc}", file=sys.stderr)
    except AppRaised as exc:
        _print_app_traceback(exc.__cause__ or exc)
        print(f"{MESSAGE_PREFIX}{exc}", file=sys.stderr)
    return None


def _print_app_traceback(exc: BaseException) -> None:
    summary = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    frames = list(summary.stack)
    while frames and frames[0].filename.startswith(_NOT_THE_APPS):
        frames.pop(0)
    summary.stack = traceback.StackSummary.from_list(frames)
    print("".join(summary.format()), end="", file=sys.stderr)


def inspect(spec: InspectSpec) -> int:
    """Say what the app is, its routes, and (with try_routes) how each answered. The answer goes to stdout,
    which the app's own prints are kept off (they go to stderr); the process then ends at once, so that a
    route left hanging in a thread cannot hold it."""
    answer = sys.stdout
    sys.stdout = sys.stderr
    app = _loaded(spec.app, spec.app_dir)
    if app is None:
        return EXIT_APP_IMPORT_FAILED
    interface = interface_of(app)
    routes = get_routes(app)
    trials, note = try_routes(app, interface, routes) if spec.try_routes else ([], None)
    info = AppInfo(interface=interface, framework=framework_of(app), routes=routes, trials=trials, note=note)
    answer.write(json.dumps(info.to_json()) + "\n")
    answer.flush()
    sys.stderr.flush()
    os._exit(0)


def serve(spec: ServerSpec) -> int:
    launcher = LAUNCHERS[spec.server]
    options = typed(launcher.options, spec.options)
    try:
        importlib.import_module(spec.package)
    except ImportError:
        print(f"{MESSAGE_PREFIX}{spec.package} is not installed for {sys.executable}", file=sys.stderr)
        return EXIT_SERVER_MISSING
    app = _loaded(spec.app, spec.app_dir)
    if app is None:
        return EXIT_APP_IMPORT_FAILED
    interface = interface_of(app)
    if interface != spec.interface:
        print(
            f"{MESSAGE_PREFIX}{spec.app!r} is {'an ASGI' if interface == 'asgi' else 'a WSGI'} app, and {spec.server}"
            f" serves {spec.interface.upper()} apps",
            file=sys.stderr,
        )
        return EXIT_WRONG_INTERFACE
    delay_s = spec.inject_delay_ms / 1000
    wrapped = AsgiTimingMiddleware(app, delay_s) if interface == "asgi" else TimingMiddleware(app, delay_s)
    launcher.serve(wrapped, spec.host, spec.port, options)
    return 0
