"""The server entry's work, once launch.py has loaded this package: read the spec, check the server package,
import the app, wrap it in the timing middleware of its interface, and serve it (or, for `burstcheck init`,
say what the app is and which routes it has)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

from .asgi_timing import AsgiTimingMiddleware
from .launchers import LAUNCHERS
from .records import typed
from .routes import get_routes
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
from .target import interface_of, load_app
from .wsgi_timing import TimingMiddleware

# Finer than a millisecond handler, coarse enough that fifty threads taking turns do not spend the CPU on it
# (at 0.1 ms they made a CPU-bound burst three times slower).
SWITCH_INTERVAL_S = 0.0005


def main(argv: list[str]) -> int:
    spec = read_spec(argv[1])
    if isinstance(spec, InspectSpec):
        return inspect(spec)
    return serve(spec)


def inspect(spec: InspectSpec) -> int:
    try:
        app = load_app(spec.app, spec.app_dir)
    except BaseException:
        traceback.print_exc()
        return EXIT_APP_IMPORT_FAILED
    print(json.dumps(AppInfo(interface=interface_of(app), routes=get_routes(app)).to_json()))
    return 0


def serve(spec: ServerSpec) -> int:
    launcher = LAUNCHERS[spec.server]
    options = typed(launcher.options, spec.options)
    try:
        importlib.import_module(spec.package)
    except ImportError:
        print(f"{MESSAGE_PREFIX}{spec.package} is not installed for {sys.executable}", file=sys.stderr)
        return EXIT_SERVER_MISSING
    try:
        app = load_app(spec.app, spec.app_dir)
    except BaseException:
        traceback.print_exc()
        print(f"{MESSAGE_PREFIX}could not import the app {spec.app!r}", file=sys.stderr)
        return EXIT_APP_IMPORT_FAILED
    interface = interface_of(app)
    if interface != spec.interface:
        print(
            f"{MESSAGE_PREFIX}{spec.app!r} is {'an ASGI' if interface == 'asgi' else 'a WSGI'} app, and {spec.server}"
            f" serves {spec.interface.upper()} apps",
            file=sys.stderr,
        )
        return EXIT_WRONG_INTERFACE
    # Threads hand the GIL over this often instead of every 5 ms, so that requests whose handlers compute for
    # a millisecond progress interleaved, as they would be served, rather than one after another because
    # none ever waited long enough to be asked for the GIL. A lock still makes them wait; the GIL does not.
    sys.setswitchinterval(float(os.environ.get("BURSTCHECK_SWITCH_INTERVAL_S", SWITCH_INTERVAL_S)))
    delay_s = spec.inject_delay_ms / 1000
    wrapped = AsgiTimingMiddleware(app, delay_s) if interface == "asgi" else TimingMiddleware(app, delay_s)
    launcher.serve(wrapped, spec.host, spec.port, options)
    return 0
