"""One function per CLI command; each returns the exit code. Errors are raised, and caught in cli.main."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from checker import compare, crash_log, init_config
from checker.app_server.serve import parse_target
from checker.config import Config
from checker.config_file import LoadedConfig, load_config
from checker.errors import (
    EXIT_COULD_NOT_RUN,
    EXIT_EXPECTATION_FAILED,
    EXIT_OK,
    ConfigError,
    FatalError,
    RunError,
    Terminated,
)
from checker.interpreter import Interpreter, choose, missing_server_message, own, probe
from checker.reports import console, json_report, progress
from checker.reports.outputs import Targets, write_all
from checker.results import STOPPED_BY, Ending, RunReport
from checker.runner import run_check, select_modes
from checker.servers import list_routes
from checker.text import printable

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
    """Check a config and write every report however the run ends: a config error, a deadline, Ctrl-C."""
    started = time.monotonic()

    def stopped(ending: Ending, problem: str, **more: Any) -> RunReport:
        return RunReport(str(config_path), (), time.monotonic() - started, 0, ending=ending, problem=problem, **more)

    shown = progress.Progress(quiet=quiet)
    try:
        loaded = load_config(config_path)
        if is_quick:
            loaded = quick(loaded)
        selected = select_modes(loaded, modes)
        report = run_check(loaded, selected, shown.line, python=python, deadline_s=deadline_s, status=shown.status)
        if baseline_path is not None:
            report = with_baseline(report, baseline_path, loaded.config)
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
    finally:
        shown.close()
    return _report(report, targets)


def _report(report: RunReport, targets: Targets) -> int:
    """Write every output; the exit code. A report that could not be written is a run that did not do its
    job; it never hides a fail or an error."""
    unwritten = write_all(report, targets)
    return EXIT_COULD_NOT_RUN if unwritten and report.exit_code == EXIT_OK else report.exit_code


def with_baseline(report: RunReport, path: Path, config: Config) -> RunReport:
    """The comparison with a baseline report; a missing or foreign baseline is a warning, never a failure."""
    try:
        before, warning = compare.measured_in_report(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        before, warning = {}, f"cannot read it ({exc.__class__.__name__}: {exc})"
    baseline = compare.compare(
        before, compare.measured_in_results(report.results), config.baseline_tolerance, str(path)
    )
    if warning:
        baseline = replace(baseline, warning=warning)
    results = compare.fail_regressions(report.results, baseline) if config.fail_on_regression else report.results
    return replace(report, results=results, baseline=baseline)


def compare_reports(old: Path, new: Path, tolerance: float) -> int:
    """`burstcheck compare OLD NEW`: the comparison of two JSON reports; exit 1 when one regressed."""
    reports = []
    for path in (old, new):
        try:
            values, warning = compare.measured_in_report(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        if warning:
            raise ConfigError(f"{path}: {warning}")
        reports.append(values)
    baseline = compare.compare(reports[0], reports[1], tolerance, str(old))
    print(printable(console.comparison(baseline)))
    return EXIT_EXPECTATION_FAILED if baseline.regressions else EXIT_OK


def init(app: str, output: Path, *, force: bool = False, python: str | None = None) -> int:
    """`burstcheck init`: write a commented config for `app`, never over an existing file without `force`."""
    if output.exists() and not force:
        raise ConfigError(f"{output} exists already; pass --force to overwrite it")
    try:
        parse_target(app)
    except ValueError as exc:
        raise ConfigError(f"--app: {exc}") from None
    folder = output.resolve().parent
    interpreter = choose(cli=python, mode=None, config=None, config_dir=folder)
    servers = {"werkzeug", "gunicorn", "waitress"}
    found = probe(interpreter, sorted(servers), folder)
    if "werkzeug" in found.missing:
        raise RunError(missing_server_message(interpreter, "werkzeug"))
    routes = list_routes(app, folder, interpreter)
    text = init_config.render(app, routes, servers - set(found.missing))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc}") from None
    loaded = load_config(output)  # what init writes, run reads
    endpoint = loaded.config.endpoints[0].path
    print(f"wrote {output}: {len(loaded.config.modes)} modes bursting {endpoint} ({len(routes)} GET routes found)")
    print(f"next: edit it, then run `burstcheck run {output}`")
    return EXIT_OK


def merge(paths: Sequence[Path], targets: Targets) -> int:
    """`burstcheck merge`: the reports of jobs that each ran some modes of one config, as one report with
    every output (job summary, PR comment, JSON); exits as that run would have."""
    reports = []
    for path in paths:
        try:
            reports.append(json_report.load(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot merge {path}: {exc}") from None
    configs = sorted({r.config_path for r in reports})
    if len(configs) > 1:
        raise ConfigError(f"these reports are of different configs ({', '.join(configs)}); merge one config's")
    results = [result for report in reports for result in report.results]
    seen: set[tuple[str, str]] = set()
    for result in results:
        if (result.mode, result.endpoint) in seen:
            raise ConfigError(f"{result.mode} {result.endpoint} is in more than one report; merge each mode once")
        seen.add((result.mode, result.endpoint))
    stopped = [r for r in reports if r.ending != "complete"]
    merged = RunReport(
        config_path=configs[0],
        results=tuple(results),
        duration_s=max(r.duration_s for r in reports),  # the jobs ran side by side
        client_peak_rss_kib=max(r.client_peak_rss_kib for r in reports),
        ending=stopped[0].ending if stopped else "complete",
        problem="\n".join(r.problem for r in stopped),
    )
    return _report(merged, targets)


def demo(*, targets: Targets, quiet: bool = False) -> int:
    """The bundled experiment: one sleeping endpoint, 10 simultaneous requests, werkzeug's three modes."""
    config = resources.files("checker.demo").joinpath("burstcheck.yaml")
    with resources.as_file(config) as path:
        # The demo app ships inside burstcheck: it runs in burstcheck's own environment, whatever is active.
        return run(path, modes=None, targets=targets, quiet=quiet, python=own())


def schema() -> int:
    print(json.dumps(Config.model_json_schema(), indent=2))
    return EXIT_OK
