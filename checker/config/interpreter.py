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
# A project's virtualenv beside the config, by the names people give it (python -m venv's docs use .venv and
# venv; uv and poetry's in-project setting make .venv). venv/ and env/ count only with a pyvenv.cfg: a
# folder named env/ may be anything else.
VENV_FOLDERS = (".venv", "venv", "env")


OWN_CHOSEN_BY = "burstcheck's own"


@dataclass(frozen=True)
class Interpreter:
    path: str
    chosen_by: str  # how it was found, in the user's words: "--python", "python: in the config", ...

    def describe(self) -> str:
        return f"{self.path} ({self.chosen_by})"

    @property
    def is_own(self) -> bool:
        """burstcheck's own interpreter, the fallback: nothing named the app's."""
        return self.chosen_by == OWN_CHOSEN_BY


def resolve(value: str, base: Path, chosen_by: str) -> Interpreter:
    """A path (relative to `base`) when the value has a slash, else a command name looked up on PATH."""
    if os.sep in value or (os.altsep and os.altsep in value):
        # Absolute, but never through symlinks: a venv's bin/python links to the base interpreter, and only
        # the path inside the venv makes Python use the venv's packages.
        path = Path(os.path.normpath(base / Path(value).expanduser()))
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ConfigError(f"{chosen_by}: no Python interpreter at {path}{_missing_hint(chosen_by)}")
        return Interpreter(str(path), chosen_by)
    found = shutil.which(value)
    if found is None:
        raise ConfigError(f"{chosen_by}: {value!r} is not a command on PATH")
    return Interpreter(found, chosen_by)


def _missing_hint(chosen_by: str) -> str:
    """A config's python: that names a local virtualenv does not exist in CI: say what works in both."""
    if not chosen_by.startswith("python"):
        return ""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return (
            " (a local virtualenv is not in the checkout: leave python: out, and the job's python runs the app"
            " here while a .venv beside the config runs it locally)"
        )
    return " (create it, e.g. python3 -m venv .venv, or leave python: out to use a .venv beside the config)"


def own() -> Interpreter:
    """burstcheck's own interpreter: the last resort, and the default for callers that name none."""
    return Interpreter(sys.executable, OWN_CHOSEN_BY)


def _own_environment(prefix: str) -> bool:
    return Path(prefix).resolve() == Path(sys.prefix).resolve()


def venv_beside(config_dir: Path) -> Interpreter | None:
    for name in VENV_FOLDERS:
        python = config_dir / name / "bin" / "python"
        if python.is_file() and (name == ".venv" or (config_dir / name / "pyvenv.cfg").is_file()):
            return Interpreter(str(python), f"{name} beside the config")
    return None


def choose(*, cli: str | None, mode: str | None, config: str | None, config_dir: Path) -> Interpreter:
    """--python, then the mode's python:, the config's python:, a .venv (venv, env) beside the config, the
    BURSTCHECK_DEFAULT_PYTHON of the environment (the Action's job python), an active virtualenv that is not
    burstcheck's own (pre-commit's hook environment is), burstcheck's interpreter."""
    if cli:
        return resolve(cli, Path.cwd(), "--python")
    if mode:
        return resolve(mode, config_dir, "python: of the mode")
    if config:
        return resolve(config, config_dir, "python: in the config")
    beside = venv_beside(config_dir)
    if beside is not None:
        return beside
    default = os.environ.get(DEFAULT_VARIABLE)
    if default:
        return resolve(default, Path.cwd(), f"the job's python ({DEFAULT_VARIABLE})")
    active = os.environ.get("VIRTUAL_ENV")
    if active and not _own_environment(active) and (Path(active) / "bin" / "python").is_file():
        return Interpreter(str(Path(active) / "bin" / "python"), "the active virtualenv (VIRTUAL_ENV)")
    return own()


def install_command(interpreter: Interpreter, packages: list[str]) -> str:
    """How to install packages for an interpreter: uv's virtualenvs have no pip, others do."""
    config = Path(interpreter.path).parent.parent / "pyvenv.cfg"
    try:
        made_by_uv = any(line.startswith("uv =") for line in config.read_text(errors="replace").splitlines())
    except OSError:
        made_by_uv = False
    names = " ".join(packages)
    if made_by_uv:
        return f"uv pip install --python {interpreter.path} {names}"
    return f"{interpreter.path} -m pip install {names}"


def install_advice(interpreter: Interpreter, packages: list[str], config_dir: Path | None = None) -> str:
    """What to do about packages the app's interpreter lacks. Never "install them into burstcheck's own
    environment" where that is pre-commit's (PRE_COMMIT=1): the app does not live there."""
    fallback = interpreter.is_own
    if fallback and os.environ.get("PRE_COMMIT") == "1":
        return (
            "burstcheck runs in pre-commit's own environment, which is not the app's: make the app's virtualenv"
            " .venv/ beside the config, or name its interpreter with python: in the config" + _project_hint(config_dir)
        )
    advice = f"install it there ({install_command(interpreter, packages)})"
    if fallback:
        return (
            advice
            + ", or name the app's interpreter with python: in the config or --python"
            + _project_hint(config_dir)
        )
    return advice + ", or name another interpreter with python: in the config or --python"


def _project_hint(config_dir: Path | None) -> str:
    """Where a project manager keeps the app's interpreter, when it is not beside the config."""
    if config_dir is None:
        return ""
    if (config_dir / "poetry.lock").is_file() or "[tool.poetry" in _read(config_dir / "pyproject.toml"):
        return (
            " (a poetry project: `poetry env info --executable` prints its interpreter; or"
            " `poetry config virtualenvs.in-project true` and `poetry install` make it .venv/ beside the config)"
        )
    if (config_dir / "uv.lock").is_file():
        return " (a uv project: `uv sync` makes .venv/ beside pyproject.toml)"
    return f" (looked for {', '.join(name + '/' for name in VENV_FOLDERS)} beside the config)"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
