"""Every output of a run, written however it ended: the console report, the files asked for, and inside
GitHub Actions the annotations, the job summary and the step outputs. Writing never raises: an output that
cannot be written is named on stderr, and the others are still written."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from checker import crash_log
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_OK
from checker.reports import console, github, html_report, json_report, junit, pr_comment
from checker.results import RunReport
from checker.safe_files import write_atomically
from checker.safe_text import printable


@dataclass(frozen=True)
class Targets:
    json_path: Path | None = None
    junit_path: Path | None = None
    html_path: Path | None = None
    timelines: bool = False  # the console draws every result's timeline, not only the failed ones'
    comment: bool = False  # post the summary as a pull-request comment (inside GitHub Actions)


def write_all(report: RunReport, targets: Targets, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Write every output; returns what could not be written (one message each, already printed). An output
    whose rendering fails (a bug) is logged as an internal error and the others are still written."""
    failed: list[str] = []

    def rendered(what: str, render: Callable[[], str]) -> str | None:
        try:
            return render()
        except Exception as exc:  # a bug in one renderer must not cost the other reports
            failed.append(f"cannot render the {what}: {crash_log.record(exc)}")
            return None

    if text := rendered("console report", lambda: console.render(report, timelines=targets.timelines)):
        _print(text, sys.stdout)
    if report.problem:
        _print(f"burstcheck: {report.problem}", sys.stderr)
    files = (
        (targets.json_path, "JSON report", lambda: json.dumps(json_report.render(report), indent=2) + "\n"),
        (targets.junit_path, "JUnit report", lambda: junit.render(report)),
        (targets.html_path, "HTML report", lambda: html_report.render(report)),
    )
    for path, what, render in files:
        if path is not None and (text := rendered(what, render)) is not None:
            failed += _write(path, what, text, "w")
    if environ.get("GITHUB_ACTIONS") == "true":
        config_file = workspace_relative(report.config_path, environ)
        annotations = rendered("annotations", lambda: "\n".join(github.failure_annotations(report, config_file)))
        if annotations:
            _print(annotations, sys.stdout)
    markdown = rendered("job summary", lambda: github.summary_markdown(report)) or ""
    if targets.comment and markdown:
        posted = pr_comment.post(pr_comment.fitted(report, markdown, environ), environ)
        _print(f"burstcheck: {posted.message}", sys.stderr if not posted.ok else sys.stdout)
        if not posted.ok:
            markdown += f"\n> [!NOTE]\n> {posted.message}\n"
    if (summary := environ.get("GITHUB_STEP_SUMMARY")) and markdown:
        failed += _write(Path(summary), "job summary", markdown, "a")
    if output := environ.get("GITHUB_OUTPUT"):
        values = github.outputs(report, str(targets.json_path.absolute()) if targets.json_path else None)
        failed += _write(Path(output), "step outputs", github.output_lines(values), "a")
    for message in failed:
        _print(f"burstcheck: {message}", sys.stderr)
    return failed


def finish(report: RunReport, targets: Targets) -> int:
    """Write every output; the exit code. A report that could not be written is a run that did not do its
    job; it never hides a fail or an error."""
    unwritten = write_all(report, targets)
    return EXIT_COULD_NOT_RUN if unwritten and report.exit_code == EXIT_OK else report.exit_code


def _write(path: Path, what: str, text: str, mode: str) -> list[str]:
    """Write a report whole (mode "w": to a temporary name, then renamed over the old one, so that a full disk
    leaves the previous report, never half of this one), or append to a file the runner owns (mode "a")."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode == "w":
            write_atomically(path, text)
        else:
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
