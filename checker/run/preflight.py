"""Before any burst: each app interpreter runs, is new enough, and has the server packages its modes need.
One short run of each interpreter; what fails is that mode's error, named with the interpreter and the fix."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.app_server.records import typed
from checker.config import AnyMode
from checker.config.interpreter import Interpreter, install_advice
from checker.errors import DeadlinePassed, RunError
from checker.run.output_tail import OutputTail
from checker.run.processes import describe_exit, managed_process
from checker.safe_text import quoted_tail

OLDEST_SUPPORTED = (3, 9)  # what burstcheck's server entry (checker/app_server) is written for
PROBE_TIMEOUT_S = 30.0
# The probe's answer is the one line that starts with this: a wrapper or a shim may print around it.
ANSWER_PREFIX = "burstcheck-probe: "
# Enough of what an interpreter that is not one printed to act on (a pyenv shim says what to install).
PRINTED_LINES = 10
# One probe per interpreter: its version, and which of the server packages it can import. It runs in the app's
# folder, whose modules must not shadow its own imports (an app's json.py): the folder (sys.path's "") is taken
# off sys.path before them, as it is off the server entry's, which imports the server package the same way.
PROBE = f"""
import sys
sys.path[:] = [p for p in sys.path if p]
import importlib.util, json
names = json.loads(sys.argv[1])
print({ANSWER_PREFIX!r} + json.dumps({{"version": list(sys.version_info[:2]),
      "missing": [n for n in names if importlib.util.find_spec(n) is None]}}), flush=True)
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


def probe(interpreter: Interpreter, packages: list[str], cwd: Path, deadline: float | None = None) -> Probe:
    """Run the interpreter once, below a guardian like every child: its version and which of `packages` it
    cannot import (from `cwd`, as the app). `deadline` (time.monotonic()) is the run's; DeadlinePassed past it."""
    timeout_s = PROBE_TIMEOUT_S if deadline is None else min(PROBE_TIMEOUT_S, deadline - time.monotonic())
    if timeout_s <= 0:
        raise DeadlinePassed("the run's deadline passed before the app's interpreter was checked")
    argv = [interpreter.path, "-c", PROBE, json.dumps(packages)]
    with (
        OutputTail() as output,
        managed_process(argv, stdout=output.write_fd, stderr=subprocess.STDOUT, cwd=str(cwd)) as proc,
    ):
        output.started()
        try:
            returncode = proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            if timeout_s < PROBE_TIMEOUT_S:
                raise DeadlinePassed("the run's deadline passed while checking the app's interpreter") from None
            raise RunError(
                f"the app's interpreter {interpreter.describe()} did not answer burstcheck's check within"
                f" {PROBE_TIMEOUT_S:g} s{_printed(output.text())}"
            ) from None
        printed = output.text(finished=True)
    return _answer(interpreter, returncode, printed)


def _answer(interpreter: Interpreter, returncode: int, printed: bytes) -> Probe:
    """The probe's answer from what the interpreter printed; RunError naming it, with what it printed, when it
    is not Python, failed, or is too old."""
    lines = printed.decode(errors="replace").splitlines()
    answers = [line[len(ANSWER_PREFIX) :] for line in lines if line.startswith(ANSWER_PREFIX)]
    shown = "\n".join(line for line in lines if not line.startswith(ANSWER_PREFIX)).encode()
    if returncode != 0:
        raise RunError(
            f"the app's interpreter {interpreter.describe()} {describe_exit(returncode)} before it answered"
            f" burstcheck's check{_printed(shown)}"
        )
    if not answers:
        raise RunError(
            f"the app's interpreter {interpreter.describe()} is not a Python interpreter: it exited without"
            f" answering burstcheck's check (python -c ...){_printed(shown)}"
        )
    try:
        found = Probe.from_json(json.loads(answers[-1]))
    except (ValueError, TypeError) as exc:
        raise RunError(
            f"the app's interpreter {interpreter.describe()} answered burstcheck's check with something it cannot"
            f" read ({exc}){_printed(printed)}"
        ) from None
    version = (found.version[0], found.version[1])
    if version < OLDEST_SUPPORTED:
        raise RunError(
            f"the app's interpreter {interpreter.describe()} is Python {version[0]}.{version[1]}; "
            f"burstcheck serves apps on Python {OLDEST_SUPPORTED[0]}.{OLDEST_SUPPORTED[1]} or newer"
        )
    return found


def _printed(output: bytes) -> str:
    if not output.strip():
        return "; it printed nothing"
    return f"; it printed:\n{quoted_tail(output, PRINTED_LINES, 'nothing')}"


def missing_server_message(interpreter: Interpreter, package: str, config_dir: Path | None = None) -> str:
    advice = install_advice(interpreter, [package], config_dir)
    return f"{package} is not installed for the app's interpreter {interpreter.describe()}: {advice}"


def preflight(
    modes: Sequence[AnyMode], interpreters: dict[str, Interpreter], app_dir: Path, deadline: float | None = None
) -> dict[str, str]:
    """Why each mode that cannot run cannot (mode name -> reason); modes that can are not in it. DeadlinePassed
    when the run's `deadline` (time.monotonic()) passes meanwhile."""
    unusable: dict[str, str] = {}
    served = [m for m in modes if m.package is not None]  # command servers bring their own
    for path in sorted({interpreters[m.name].path for m in served}):
        mine = [m for m in served if interpreters[m.name].path == path]
        interpreter = interpreters[mine[0].name]
        try:
            found = probe(interpreter, sorted({str(m.package) for m in mine}), app_dir, deadline)
        except DeadlinePassed:
            raise
        except RunError as exc:
            unusable.update({m.name: str(exc) for m in mine})
            continue
        for m in mine:
            if m.package in found.missing:
                message = missing_server_message(interpreter, str(m.package), app_dir)
                unusable[m.name] = f"mode {m.name!r}: {message}"
    return unusable
