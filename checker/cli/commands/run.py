"""`burstcheck run`: check a config, and write every report however the run ends (a config error, a
deadline, Ctrl-C, a bug): what was measured until then, and why the rest was not."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from checker.analysis import baseline
from checker.config import Config
from checker.config.interpreter import Interpreter
from checker.config.load import LoadedConfig, load_config
from checker.endings import caught
from checker.reports import json_report, progress
from checker.reports.outputs import Targets, finish
from checker.results import RunReport, fail_regressions, measured_by_key, stopped_report
from checker.run.runner import run_check, select_modes

# A run that has not ended after this long ends as "could not run" with what it measured: a hang must not
# hold a CI job until the job's own timeout (six hours on GitHub) kills it without a report.
DEFAULT_DEADLINE_S = 1800.0
# --quick (the pre-commit hook): one burst per mode and a short calibration; a miss is still re-measured.
QUICK_REPEATS = 1
QUICK_CALIBRATION_REQUESTS = 2


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
    targets: Targets,
    quiet: bool = False,
    is_quick: bool = False,
    python: str | Interpreter | None = None,
    deadline_s: float | None = DEFAULT_DEADLINE_S,
    baseline_path: Path | None = None,
) -> int:
    """Check a config and write every report however the run ends."""
    # The deadline counts from here: reading the config (a FIFO) and the baseline are inside it too.
    started = time.monotonic()
    shown = progress.Progress(quiet=quiet)
    report: RunReport | None = None
    with caught() as outcome:
        try:
            loaded = load_config(config_path, _left_s(started, deadline_s))
            if is_quick:
                loaded = quick(loaded)
            selected = select_modes(loaded, modes)
            report = run_check(
                loaded,
                selected,
                shown.line,
                python=python,
                deadline_s=deadline_s,
                status=shown.status,
                started=started,
            )
            if baseline_path is not None:
                report = with_baseline(report, baseline_path, loaded.config, _left_s(started, deadline_s))
        finally:
            shown.close()
    if outcome.ended is not None:
        ended = outcome.ended
        if ended.ending == "deadline" and deadline_s is not None:  # say which deadline, as the runner does
            which = f"the run's deadline ({deadline_s:g} s, --deadline) passed"
            ended = replace(ended, problem=ended.problem.replace("the run's deadline passed", which, 1))
        report = stopped_report(str(config_path), ended, time.monotonic() - started)
    assert report is not None  # the block either made it or ended early
    return finish(report, targets)


def _left_s(started: float, deadline_s: float | None) -> float | None:
    return None if deadline_s is None else max(0.0, started + deadline_s - time.monotonic())


def with_baseline(report: RunReport, path: Path, config: Config, timeout_s: float | None = None) -> RunReport:
    """The comparison with a baseline report; a missing or foreign baseline is a warning, never a failure."""
    try:
        before = measured_by_key(json_report.read(path, timeout_s).results)
    except (OSError, ValueError) as exc:
        why = f"cannot read it ({exc.__class__.__name__}: {exc})" if isinstance(exc, OSError) else str(exc)
        return replace(report, baseline=baseline.unusable(str(path), config.baseline_tolerance, why))
    compared = baseline.compare(before, measured_by_key(report.results), config.baseline_tolerance, str(path))
    results = fail_regressions(report.results, compared) if config.fail_on_regression else report.results
    return replace(report, results=results, baseline=compared)
