"""Which Python runs the app: the interpreter of the app's own environment, found the way a user expects
(and checked before any burst by checker.run.preflight)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from checker.errors import ConfigError

# Set by the GitHub Action to the job's python: the default when the config names no interpreter.
DEFAULT_VARIABLE = "BURSTCHECK_DEFAULT_PYTHON"


@dataclass(frozen=True)
class Interpreter:
    path: str
    chosen_by: str  # how it was found, in the user's words: "--python", "python: in the config", ...

    def describe(self) -> str:
        return f"{self.path} ({self.chosen_by})"


def resolve(value: str, base: Path, chosen_by: str) -> Interpreter:
    """A path (relative to `base`) when the value has a slash, else a command name looked up on PATH."""
    if os.sep in value or (os.altsep and os.altsep in value):
        # Absolute, but never through symlinks: a venv's bin/python links to the base interpreter, and only
        # the path inside the venv makes Python use the venv's packages.
        path = Path(os.path.normpath(base / Path(value).expanduser()))
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ConfigError(f"{chosen_by}: no Python interpreter at {path}")
        return Interpreter(str(path), chosen_by)
    found = shutil.which(value)
    if found is None:
        raise ConfigError(f"{chosen_by}: {value!r} is not a command on PATH")
    return Interpreter(found, chosen_by)


def own() -> Interpreter:
    """burstcheck's own interpreter: the last resort, and the default for callers that name none."""
    return Interpreter(sys.executable, "burstcheck's own")


def _own_environment(prefix: str) -> bool:
    return Path(prefix).resolve() == Path(sys.prefix).resolve()


def choose(*, cli: str | None, mode: str | None, config: str | None, config_dir: Path) -> Interpreter:
    """--python, then the mode's python:, the config's python:, a .venv beside the config, the
    BURSTCHECK_DEFAULT_PYTHON of the environment (the Action's job python), an active virtualenv that is not
    burstcheck's own (pre-commit's hook environment is), burstcheck's interpreter."""
    if cli:
        return resolve(cli, Path.cwd(), "--python")
    if mode:
        return resolve(mode, config_dir, "python: of the mode")
    if config:
        return resolve(config, config_dir, "python: in the config")
    beside = config_dir / ".venv" / "bin" / "python"
    if beside.is_file():
        return Interpreter(str(beside), ".venv beside the config")
    default = os.environ.get(DEFAULT_VARIABLE)
    if default:
        return resolve(default, Path.cwd(), f"the job's python ({DEFAULT_VARIABLE})")
    active = os.environ.get("VIRTUAL_ENV")
    if active and not _own_environment(active) and (Path(active) / "bin" / "python").is_file():
        return Interpreter(str(Path(active) / "bin" / "python"), "the active virtualenv (VIRTUAL_ENV)")
    return own()
