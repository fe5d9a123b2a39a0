"""One function per CLI command; each returns the exit code. Errors are raised, and caught in cli.main."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from checker.config import Config
from checker.config_file import LoadedConfig, load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK, ConfigError
from checker.interpreter import Interpreter, own
from checker.reports import console, github, json_report, junit
from checker.results import RunReport
from checker.runner import Progress, run_check, select_modes

EXIT_FOR_VERDICT = {"pass": EXIT_OK, "fail": EXIT_EXPECTATION_FAILED, "error": EXIT_COULD_NOT_RUN}
# --quick (the pre-commit hook): one burst per mode and a short calibration; a miss is still re-measured.
QUICK_REPEATS = 1
QUICK_CALIBRATION_REQUESTS = 2


def _progress_printer(quiet: bool) -> Progress:
    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

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
) -> int:
    loaded = load_config(config_path)
    if is_quick:
        loaded = quick(loaded)
    selected = select_modes(loaded, modes)
    report = run_check(loaded, selected, _progress_printer(quiet), python=python)
    _write_reports(report, json_path, junit_path)
    return EXIT_FOR_VERDICT[report.verdict]


def demo(*, json_path: Path | None, junit_path: Path | None = None, quiet: bool = False) -> int:
    """The bundled experiment: one sleeping endpoint, 10 simultaneous requests, werkzeug's three modes."""
    config = resources.files("checker.demo").joinpath("burstcheck.yaml")
    with resources.as_file(config) as path:
        # The demo app ships inside burstcheck: it runs in burstcheck's own environment, whatever is active.
        return run(path, modes=None, json_path=json_path, junit_path=junit_path, quiet=quiet, python=own())


def schema() -> int:
    print(json.dumps(Config.model_json_schema(), indent=2))
    return EXIT_OK


def _write_file(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the {what} to {path}: {exc}") from None


def _write_reports(report: RunReport, json_path: Path | None, junit_path: Path | None) -> None:
    print(console.render(report), flush=True)
    if json_path is not None:
        _write_file(json_path, json.dumps(json_report.render(report), indent=2) + "\n", "JSON report")
    if junit_path is not None:
        _write_file(junit_path, junit.render(report), "JUnit report")
    _report_to_github(report, json_path)


def workspace_relative(path: str) -> str:
    """Annotations must name files relative to the checkout to show on a pull request's diff."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return path
    return os.path.relpath(Path(path).resolve(), Path(workspace).resolve())


def _report_to_github(report: RunReport, json_path: Path | None) -> None:
    """Only inside GitHub Actions: annotations, the job summary, step outputs."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github.failure_annotations(report, workspace_relative(report.config_path)):
            print(line, flush=True)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as out:
            out.write(github.summary_markdown(report))
    if output := os.environ.get("GITHUB_OUTPUT"):
        values = github.outputs(report, str(json_path.resolve()) if json_path else None)
        with open(output, "a", encoding="utf-8") as out:
            out.writelines(f"{key}={value}\n" for key, value in values.items())


def config_error_annotations(error: ConfigError) -> list[str]:
    if os.environ.get("GITHUB_ACTIONS") != "true" or error.file is None:
        return []
    file = workspace_relative(error.file)
    return [github.annotation("error", file, line, "burstcheck: invalid config", text) for line, text in error.problems]
