"""What a run leaves on GitHub: the job summary (markdown), workflow-command annotations, step outputs."""

from __future__ import annotations

import uuid

from checker.results import Result, RunReport
from checker.text import printable

VERDICT_ORDER = {"fail": 0, "error": 1, "pass": 2}  # failed results first: they are what a reader came for
VERDICT_BADGE = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error", "interrupted": "⏹️ interrupted"}
ENDING_TITLE = {
    "config_error": "invalid config",
    "could_not_run": "could not run",
    "deadline": "the run's deadline passed",
    "interrupted": "interrupted",
    "terminated": "terminated",
    "internal_error": "internal error",
}


def escape_data(text: str) -> str:
    """Escaping of a workflow command's message, as @actions/core does it."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, file: str, line: int, title: str, message: str) -> str:
    return f"::{level} file={escape_property(file)},line={line},title={escape_property(title)}::{escape_data(message)}"


def failure_annotations(report: RunReport, config_file: str) -> list[str]:
    """An ::error for every result that did not pass, at the line of its mode's `expect:` in the config, and
    for every problem of an invalid config at its line."""
    lines = [
        annotation("error", config_file, line, "burstcheck: invalid config", text)
        for line, text in report.config_problems
    ]
    for result in sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict]):
        if result.verdict == "pass":
            continue
        message = result.reason + (f"\nwhy: {result.diagnosis}" if result.diagnosis else "")
        title = f"burstcheck {result.verdict}: {result.mode} {result.endpoint}"
        lines.append(annotation("error", config_file, result.config_line, title, message))
    return lines


def _cell(text: str) -> str:
    """Text for one table cell: one line, no pipe that would split the cell."""
    return printable(text).replace("|", "\\|").replace("\n", " ")


def _block(text: str) -> list[str]:
    """Text shown as is (a server's output, a traceback's path) in a fenced block that it cannot end."""
    fence = "````" if "```" in text else "```"
    return [fence, printable(text).replace("````", "'```"), fence]


def _row(result: Result) -> str:
    figures = result.figures
    burst = figures.median_burst if figures else None
    cells = [
        VERDICT_BADGE[result.verdict],
        result.mode,
        f"`{result.endpoint}`",
        result.server,
        result.expected,
        f"{figures.measured:.1f} ({figures.basis})" if figures else "-",
        f"{figures.effective_concurrency:.1f}" if figures else "-",
        str(burst.server.admitted_concurrency) if burst and burst.server else "n/a",
        f"{burst.burst_wall_s:.2f} s" if burst else "-",
        result.diagnosis or result.reason.splitlines()[0],
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def summary_markdown(report: RunReport) -> str:
    ordered = sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict])
    counts = report.counts
    out = [
        f"## burstcheck: {VERDICT_BADGE[report.verdict]}",
        "",
        f"{counts['fail']} missed, {counts['error']} could not be measured, {counts['pass']} met"
        f" · config `{_cell(report.config_path)}` · {report.duration_s:.1f} s",
    ]
    if report.ending != "complete":
        out += ["", f"**The run ended early: {ENDING_TITLE[report.ending]}.**", "", *_block(report.problem)]
    if report.results:
        out += [
            "",
            "| verdict | mode | endpoint | server | expected | measured | client C | admitted | burst wall | why |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *[_row(r) for r in ordered],
        ]
    for result in ordered:
        if result.verdict == "pass":
            continue
        out += ["", f"### {VERDICT_BADGE[result.verdict]}: {result.mode} `{_cell(result.endpoint)}`", ""]
        out += _block(result.reason)
        if result.diagnosis:
            out += ["", f"**Why:** {_cell(result.diagnosis)}"]
    return "\n".join(out) + "\n"


def outputs(report: RunReport, json_path: str | None) -> dict[str, str]:
    return {"verdict": report.verdict, "report": json_path or "", "failed": str(report.counts["fail"])}


def output_lines(values: dict[str, str]) -> str:
    """Step outputs in GITHUB_OUTPUT's multi-line form, with a delimiter that no value contains: a value with
    a newline (a path) cannot add an output of its own (a forged `verdict=pass`)."""
    out = []
    for key, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
        out.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(out)
