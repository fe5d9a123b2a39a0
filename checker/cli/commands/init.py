"""`burstcheck init`: write a commented config for an app, never over an existing file without --force.

Inside the app's interpreter: what the app is (WSGI or ASGI, which framework), its GET routes without
parameters, and how each answered when tried. Here: the servers of that interface installed there (from the
registry), the route to burst, the schema beside the config, and the config, read back as `run` reads it."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from checker.app_server.target import parse_target
from checker.cli import init_template
from checker.cli.commands.schema import schema_text
from checker.cli.init_endpoint import choose_endpoint
from checker.config import SERVERS
from checker.config.interpreter import Interpreter, choose, install_advice, install_command
from checker.config.load import load_config
from checker.config.servers import Interface, either, servers_of
from checker.errors import EXIT_OK, ConfigError, RunError
from checker.run.preflight import probe
from checker.run.server import inspect_app

# Written beside the config and named by its first line, so that editors (yaml-language-server) complete and
# check it offline, at the version of burstcheck that wrote it (docs/config.md says why not a URL).
SCHEMA_FILE = "burstcheck.schema.json"


def init(app: str, output: Path, *, force: bool = False, python: str | None = None) -> int:
    if output.exists() and not force:
        raise ConfigError(f"{output} exists already; pass --force to overwrite it")
    try:
        parse_target(app)
    except ValueError as exc:
        raise ConfigError(f"--app: {exc}") from None
    folder = output.resolve().parent
    interpreter = choose(cli=python, mode=None, config=None, config_dir=folder)
    probe(interpreter, [], folder)  # runs, and is new enough: a clear error before the app is imported
    info = inspect_app(app, folder, interpreter, try_routes=True)
    interface: Interface = "asgi" if info.interface == "asgi" else "wsgi"
    installed, missing = installed_servers(interpreter, interface, folder)
    choice = choose_endpoint(info.routes, info.trials, info.note)
    missing_note = (
        f"{' and '.join(missing)} not installed for the app's interpreter: install {_them(missing)} there to add"
        f" {_them(missing, 'its', 'their')} modes (burstcheck init --force)"
        if missing
        else None
    )
    text = init_template.render(
        app,
        interface=interface,
        framework=info.framework,
        choice=choice,
        servers=installed,
        missing_note=missing_note,
        schema_ref=SCHEMA_FILE,
    )
    schema_note = _write_schema(folder / SCHEMA_FILE, force)
    _write(output, text)
    loaded = load_config(output)  # what init writes, run reads
    modes = ", ".join(m.name for m in loaded.config.modes)
    print(f"wrote {output}: a {init_template.display(info.framework)} app ({interface.upper()}), modes {modes}")
    print(f"endpoint {choice.path}: {choice.why}")
    if choice.trivial:
        print(f"  every route is trivial: burstcheck adds a {init_template.TRIVIAL_DELAY_MS} ms wait (inject_delay_ms)")
    print(f"python: {interpreter.describe()}")
    if missing:
        print(f"note: {missing_note}: {install_command(interpreter, missing)}")
    if schema_note:
        print(schema_note)
    print(f"next: burstcheck run {output}{_same_python(python, interpreter, folder)}")
    return EXIT_OK


def _same_python(python: str | None, interpreter: Interpreter, folder: Path) -> str:
    """The `--python` that `run` needs to use init's interpreter: none where run finds the same one itself (a
    .venv beside the config), else the one init was given - the config does not name it, as it may not hold
    on another machine."""
    if python is None:
        return ""
    found = choose(cli=None, mode=None, config=None, config_dir=folder)
    if os.path.abspath(found.path) == os.path.abspath(interpreter.path):  # not resolved: a venv's python links out
        return ""
    return f" --python {shlex.quote(interpreter.path)}"


def installed_servers(interpreter: Interpreter, interface: Interface, folder: Path) -> tuple[list[str], list[str]]:
    """The registry's servers of `interface` that the app's interpreter has, and those it lacks (their
    packages); an error naming the interpreter and the install command when it has none."""
    names = servers_of(interface)
    packages = [str(SERVERS[name].package) for name in names]
    found = probe(interpreter, sorted(set(packages)), folder)
    installed = [name for name, package in zip(names, packages, strict=True) if package not in found.missing]
    missing = [package for package in packages if package in found.missing]
    if not installed:
        raise RunError(
            f"no server for {interface.upper()} apps ({either(names)}) is installed for the app's interpreter"
            f" {interpreter.describe()}: {install_advice(interpreter, [packages[0]], folder)}"
        )
    return installed, missing


def _them(names: list[str], one: str = "it", more: str = "them") -> str:
    return one if len(names) == 1 else more


def _write_schema(path: Path, force: bool) -> str | None:
    """The schema beside the config; one that differs (another burstcheck's) is replaced only with --force."""
    text = schema_text()
    try:
        if path.exists() and path.read_text(encoding="utf-8") != text and not force:
            return f"kept {path}, which differs from this burstcheck's schema (--force replaces it)"
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"could not write {path} ({exc}): editors will not check the config"
    return None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from None
