"""`burstcheck init`: write a commented config for an app, never over an existing file without --force."""

from __future__ import annotations

from pathlib import Path

from checker.app_server.target import parse_target
from checker.cli import init_template
from checker.config import SERVERS
from checker.config.interpreter import choose
from checker.config.load import load_config
from checker.errors import EXIT_OK, ConfigError, RunError
from checker.run.preflight import missing_server_message, probe
from checker.run.server import inspect_app

# The servers `init` proposes for a WSGI app; the first must be installed (it comes with Flask).
WSGI_SERVERS = ("werkzeug", "gunicorn", "waitress")


def init(app: str, output: Path, *, force: bool = False, python: str | None = None) -> int:
    if output.exists() and not force:
        raise ConfigError(f"{output} exists already; pass --force to overwrite it")
    try:
        parse_target(app)
    except ValueError as exc:
        raise ConfigError(f"--app: {exc}") from None
    folder = output.resolve().parent
    interpreter = choose(cli=python, mode=None, config=None, config_dir=folder)
    packages = {name: str(SERVERS[name].package) for name in WSGI_SERVERS}
    found = probe(interpreter, sorted(packages.values()), folder)
    if packages["werkzeug"] in found.missing:
        raise RunError(missing_server_message(interpreter, packages["werkzeug"]))
    routes = inspect_app(app, folder, interpreter).routes
    text = init_template.render(
        app, routes, {name for name, package in packages.items() if package not in found.missing}
    )
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc}") from None
    loaded = load_config(output)  # what init writes, run reads
    endpoint = loaded.config.endpoints[0].path
    print(f"wrote {output}: {len(loaded.config.modes)} modes bursting {endpoint} ({len(routes)} GET routes found)")
    print(f"next: edit it, then run `burstcheck run {output}`")
    return EXIT_OK
