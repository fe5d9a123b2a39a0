"""One function per CLI command; each returns the exit code. Errors are raised, and caught in cli.main."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from checker import crash_log
from checker.config import Config
from checker.config_file import LoadedConfig, load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_OK, ConfigError, FatalError, Terminated
from checker.interpreter import Interpreter, own
from checker.reports.outputs import Targets, write_all
from checker.results import STOPPED_BY, Ending, RunReport
from checker.runner import Progress, run_check, select_modes
from checker.text import printable

# A run that has not ended after this long ends as "could not run" with what it measured: a hang must not
# hold a CI job until the job's own timeout (six hours on GitHub) kills it without a report.
DEFAULT_DEADLINE_S = 1800.0
# --quick (the pre-commit hook): one burst per mode and a short calibration; a miss is still re-measured.
QUICK_REPEATS = 1
QUICK_CALIBRATION_REQUESTS = 2


def _progress_printer(quiet: bool) -> Progress:
    def progress(line: str) -> None:
        if not quiet:
            print(printable(line), file=sys.stderr, flush=True)

    return progress


def quick(loaded: LoadedConfig) -> LoadedConfig:
    burst = loaded.config.burst
    faster = burst.model_copy(
        update={
            "repeats": min(burst.repeats, QUICK_REPEATS),
            "calibration_requests": min(burst.calibration_requests, QUICK_CALIBRATION_REQUESTS),
        }
    )
    return LoadedConfig(config=loaded.config.model_copy(update={"burst": faster}), path=loaded.path, root=loaded.root)


def run(
    config_path: Path,
    *,
    modes: Sequence[str] | None,
    json_path: Path | None,
    junit_path: Path | None = None,
    quiet: bool = False,
    is_quick: bool = False,
    python: str | Interpreter | None = None,
    deadline_s: float | None = DEFAULT_DEADLINE_S,
) -> int:
    """Check a config and write every report however the run ends: a config error, a deadline, Ctrl-C."""
    started = time.monotonic()

    def stopped(ending: Ending, problem: str, **more: Any) -> RunReport:
        return RunReport(str(config_path), (), time.monotonic() - started, 0, ending=ending, problem=problem, **more)

    try:
        loaded = load_config(config_path)
        if is_quick:
            loaded = quick(loaded)
        selected = select_modes(loaded, modes)
        report = run_check(loaded, selected, _progress_printer(quiet), python=python, deadline_s=deadline_s)
    except ConfigError as exc:
        report = stopped("config_error", str(exc), config_problems=exc.problems if exc.file else ())
    except FatalError as exc:
        report = stopped("could_not_run", str(exc))
    except KeyboardInterrupt:
        report = stopped("interrupted", STOPPED_BY["interrupted"])
    except Terminated:
        report = stopped("terminated", STOPPED_BY["terminated"])
    except Exception as exc:  # a bug in burstcheck; the runner catches its own, this is what is left
        report = stopped("internal_error", crash_log.record(exc))
    unwritten = write_all(report, Targets(json_path, junit_path))
    # A report that could not be written is a run that did not do its job; it never hides a fail or an error.
    return EXIT_COULD_NOT_RUN if unwritten and report.exit_code == EXIT_OK else report.exit_code


def demo(*, json_path: Path | None, junit_path: Path | None = None, quiet: bool = False) -> int:
    """The bundled experiment: one sleeping endpoint, 10 simultaneous requests, werkzeug's three modes."""
    config = resources.files("checker.demo").joinpath("burstcheck.yaml")
    with resources.as_file(config) as path:
        # The demo app ships inside burstcheck: it runs in burstcheck's own environment, whatever is active.
        return run(path, modes=None, json_path=json_path, junit_path=junit_path, quiet=quiet, python=own())


def schema() -> int:
    print(json.dumps(Config.model_json_schema(), indent=2))
    return EXIT_OK
