"""Before any burst: each app interpreter runs, is new enough, and has the server packages its modes need.
One short run of each interpreter; what fails is that mode's error, named with the interpreter and the fix."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.app_server.records import typed
from checker.config import AnyMode
from checker.config.interpreter import Interpreter, install_advice
from checker.errors import RunError

OLDEST_SUPPORTED = (3, 9)  # what burstcheck's server entry (checker/app_server) is written for
PROBE_TIMEOUT_S = 30.0
# One probe per interpreter: its version, and which of the server packages it can import.
PROBE = """
import importlib.util, json, sys
names = json.loads(sys.argv[1])
print(json.dumps({"version": list(sys.version_info[:2]),
                  "missing": [n for n in names if importlib.util.find_spec(n) is None]}))
"""


@dataclass(frozen=True)
class Probe:
    """What the probe prints (its JSON read back into this record): the interpreter's version and which of the
    packages asked for it cannot import."""

    version: list[int]
    missing: list[str]

    @classmethod
    def from_json(cls, data: Any) -> Probe:
        probe = typed(cls, data)
        if len(probe.version) < 2:
            raise ValueError(f"version {probe.version} has no major and minor number")
        return probe


def probe(interpreter: Interpreter, packages: list[str], cwd: Path) -> Probe:
    """Run the interpreter once: its version and which of `packages` it cannot import (from `cwd`, as the app)."""
    try:
        done = subprocess.run(
            [interpreter.path, "-c", PROBE, json.dumps(packages)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            cwd=cwd,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunError(f"the app's interpreter {interpreter.describe()} could not be run: {exc}") from None
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RunError(f"the app's interpreter {interpreter.describe()} failed to start: {tail}")
    found = Probe.from_json(json.loads(done.stdout))
    version = (found.version[0], found.version[1])
    if version < OLDEST_SUPPORTED:
        raise RunError(
            f"the app's interpreter {interpreter.describe()} is Python {version[0]}.{version[1]}; "
            f"burstcheck serves apps on Python {OLDEST_SUPPORTED[0]}.{OLDEST_SUPPORTED[1]} or newer"
        )
    return found


def missing_server_message(interpreter: Interpreter, package: str, config_dir: Path | None = None) -> str:
    advice = install_advice(interpreter, [package], config_dir)
    return f"{package} is not installed for the app's interpreter {interpreter.describe()}: {advice}"


def preflight(modes: Sequence[AnyMode], interpreters: dict[str, Interpreter], app_dir: Path) -> dict[str, str]:
    """Why each mode that cannot run cannot (mode name -> reason); modes that can are not in it."""
    unusable: dict[str, str] = {}
    served = [m for m in modes if m.package is not None]  # command servers bring their own
    for path in sorted({interpreters[m.name].path for m in served}):
        mine = [m for m in served if interpreters[m.name].path == path]
        interpreter = interpreters[mine[0].name]
        try:
            found = probe(interpreter, sorted({str(m.package) for m in mine}), app_dir)
        except RunError as exc:
            unusable.update({m.name: str(exc) for m in mine})
            continue
        for m in mine:
            if m.package in found.missing:
                message = missing_server_message(interpreter, str(m.package), app_dir)
                unusable[m.name] = f"mode {m.name!r}: {message}"
    return unusable
