"""Every output of a run, written however it ended: the console report, the files asked for, and inside
GitHub Actions the annotations, the job summary and the step outputs. Writing never raises: an output that
cannot be written is named on stderr, and the others are still written."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from checker.reports import console, github, json_report, junit
from checker.results import RunReport
from checker.text import printable


@dataclass(frozen=True)
class Targets:
    json_path: Path | None = None
    junit_path: Path | None = None


def write_all(report: RunReport, targets: Targets, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Write every output; returns what could not be written (one message each, already printed)."""
    rendered = console.render(report)
    if rendered:
        _print(rendered, sys.stdout)
    if report.problem:
        _print(f"burstcheck: {report.problem}", sys.stderr)
    failed = []
    if targets.json_path is not None:
        failed += _write(targets.json_path, "JSON report", json.dumps(json_report.render(report), indent=2) + "\n", "w")
    if targets.junit_path is not None:
        failed += _write(targets.junit_path, "JUnit report", junit.render(report), "w")
    if environ.get("GITHUB_ACTIONS") == "true":
        for line in github.failure_annotations(report, workspace_relative(report.config_path, environ)):
            _print(line, sys.stdout)
    if summary := environ.get("GITHUB_STEP_SUMMARY"):
        failed += _write(Path(summary), "job summary", github.summary_markdown(report), "a")
    if output := environ.get("GITHUB_OUTPUT"):
        values = github.outputs(report, str(targets.json_path.absolute()) if targets.json_path else None)
        failed += _write(Path(output), "step outputs", github.output_lines(values), "a")
    for message in failed:
        _print(f"burstcheck: {message}", sys.stderr)
    return failed


def _write(path: Path, what: str, text: str, mode: str) -> list[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open(mode, encoding="utf-8") as out:
            out.write(text)
    except (OSError, ValueError) as exc:
        return [f"cannot write the {what} to {path}: {exc}"]
    return []


def _print(text: str, stream: TextIO) -> None:
    with suppress(OSError, ValueError):  # a closed pipe must not lose the files still to write
        print(printable(text), file=stream, flush=True)


def workspace_relative(path: str, environ: Mapping[str, str] = os.environ) -> str:
    """Annotations must name files relative to the checkout to show on a pull request's diff."""
    workspace = environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return path
    return os.path.relpath(Path(path).resolve(), Path(workspace).resolve())
