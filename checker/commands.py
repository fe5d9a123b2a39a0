"""One function per CLI command; each returns the exit code. Errors are raised, and caught in cli.main."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from checker.config import Config
from checker.config_file import load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK, ConfigError
from checker.reports import console, json_report
from checker.results import RunReport
from checker.runner import run_check, select_modes

EXIT_FOR_VERDICT = {"pass": EXIT_OK, "fail": EXIT_EXPECTATION_FAILED, "error": EXIT_COULD_NOT_RUN}


def _progress_printer(quiet: bool):  # type: ignore[no-untyped-def]
    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    return progress


def run(config_path: Path, *, modes: Sequence[str] | None, json_path: Path | None, quiet: bool) -> int:
    loaded = load_config(config_path)
    selected = select_modes(loaded, modes)
    report = run_check(loaded, selected, _progress_printer(quiet))
    _write_reports(report, json_path)
    return EXIT_FOR_VERDICT[report.verdict]


def demo(*, json_path: Path | None, quiet: bool) -> int:
    """The bundled experiment: one sleeping endpoint, 10 simultaneous requests, werkzeug's three modes."""
    config = resources.files("checker.demo").joinpath("burstcheck.yaml")
    with resources.as_file(config) as path:
        return run(path, modes=None, json_path=json_path, quiet=quiet)


def schema() -> int:
    print(json.dumps(Config.model_json_schema(), indent=2))
    return EXIT_OK


def _write_reports(report: RunReport, json_path: Path | None) -> None:
    print(console.render(report), flush=True)
    if json_path is not None:
        try:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(json_report.render(report), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the JSON report to {json_path}: {exc}") from None
