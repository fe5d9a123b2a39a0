"""What a run leaves on GitHub: the job summary (markdown), workflow-command annotations, step outputs."""

from __future__ import annotations

import re
import uuid

from checker.reports import console, rows, timeline
from checker.results import Result, RunReport
from checker.safe_text import printable

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
    baseline = report.baseline
    for result in report.results:
        change = baseline.change_of(result.key) if baseline else None
        if baseline and change and change.regressed and result.verdict == "pass":  # shown, not failed
            title = f"burstcheck regression: {result.mode} {result.endpoint}"
            message = f"{change.describe()} against the baseline, more than the {baseline.tolerance:.0%} tolerance"
            lines.append(annotation("warning", config_file, result.config_line, title, message))
    return lines


# Characters Markdown would read as syntax inside a cell: `__init__` must not turn bold, `<frozen ...>` must not
# vanish as an HTML tag, a pipe must not split the cell.
_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "&\\`*_[]<|~"})


# An @name in a comment's text notifies that user or team; GitHub skips mentions inside code, so the @ goes in
# a <code> of its own: "@octocat" reads the same, and notifies no one (the job summary is the comment's text).
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def _cell(text: str) -> str:
    """Text for one table cell or a line of prose: one line, nothing Markdown or HTML would interpret, and no
    @name that would notify anyone."""
    return _MENTION.sub("<code>@</code>", printable(text).replace("\n", " ").translate(_MARKDOWN))


def _block(text: str) -> list[str]:
    """Text shown as is (a server's output, a traceback's path) in a fenced block that it cannot end."""
    fence = "````" if "```" in text else "```"
    return [fence, printable(text).replace("````", "'```"), fence]


# The job summary's columns, in order; with a baseline its column follows `measured`.
SHOWN = ("verdict", "mode", "endpoint", "server", "expected", "measured", "client_c", "admitted", "burst_wall", "why")


def summary_markdown(report: RunReport) -> str:
    ordered = sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict])
    counts = report.counts
    out = [
        f"## burstcheck: {VERDICT_BADGE[report.verdict]}",
        "",
        f"{counts['fail']} missed, {counts['error']} could not be measured, {counts['pass']} met"
        f" · config {_cell(report.config_path)} · {report.duration_s:.1f} s",
    ]
    if report.ending != "complete":
        out += ["", f"**The run ended early: {ENDING_TITLE[report.ending]}.**", "", *_block(report.problem)]
    if report.results:
        shown = rows.columns(SHOWN, report.baseline is not None, after="measured")
        out += ["", "| " + " | ".join(c.header for c in shown) + " |", "| " + " | ".join("---" for _ in shown) + " |"]
        for result in ordered:
            cells = {**rows.cells(result, report.baseline), "verdict": VERDICT_BADGE[result.verdict]}
            out.append("| " + " | ".join(_cell(cells[c.key]) for c in shown) + " |")
    if report.baseline is not None:
        out += [
            "",
            "<details><summary>Compared with the baseline</summary>",
            "",
            *_block(console.comparison(report.baseline)),
            "",
            "</details>",
        ]
    for result in ordered:
        out += ["", *_details(result)]
    return "\n".join(out) + "\n"


def _details(result: Result, *, with_timeline: bool = True) -> list[str]:
    """A collapsible block per result, open for those that did not pass: the reason in full (a server's
    output, a traceback's last lines), the diagnosis, and the burst's timeline as a Mermaid chart."""
    opened = " open" if result.verdict != "pass" else ""
    summary = f"{VERDICT_BADGE[result.verdict]}: {_cell(result.mode)} {_cell(result.endpoint)}"
    out = [f"<details{opened}><summary>{summary}</summary>", "", *_block(result.reason)]
    if result.diagnosis:
        out += ["", f"**Why:** {_cell(result.diagnosis)}"]
    picture = timeline.of_result(result) if with_timeline else None
    if picture is not None:
        out += ["", timeline.mermaid(picture)]
    return [*out, "", "</details>"]


def shortened_summary(report: RunReport, max_chars: int, full_summary: str) -> str:
    """The summary cut to `max_chars` for a place that holds no more (a pull-request comment): what did not
    pass and what regressed first, each while it fits, the rest counted; `full_summary` says where the rest
    is (a link to the job summary)."""
    baseline = report.baseline
    regressed = {c.key for c in baseline.regressions} if baseline is not None else set()
    ordered = sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict])
    important = [r for r in ordered if r.verdict != "pass" or r.key in regressed]
    counts = report.counts
    head = [
        f"## burstcheck: {VERDICT_BADGE[report.verdict]}",
        "",
        f"{counts['fail']} missed, {counts['error']} could not be measured, {counts['pass']} met"
        f" · config {_cell(report.config_path)} · {report.duration_s:.1f} s",
        "",
        f"**Shortened to fit a comment: every result ({len(report.results)}) is in {full_summary}.**",
    ]
    if report.ending != "complete":
        problem = report.problem[:PROBLEM_SHOWN_CHARS]
        head += ["", f"**The run ended early: {ENDING_TITLE[report.ending]}.**", "", *_block(problem)]
    shown = rows.columns(SHOWN, baseline is not None, after="measured")
    table = ["", "| " + " | ".join(c.header for c in shown) + " |", "| " + " | ".join("---" for _ in shown) + " |"]
    others = len(report.results) - len(important)
    tail = [f"{others} results passed and are not listed here." if others else ""]
    # Room is kept for the lines that count what was left out.
    budget = max_chars - _length(head) - _length(table) - _length(tail) - RESERVED_CHARS
    listed = 0
    for result in important:
        cells = {**rows.cells(result, baseline), "verdict": VERDICT_BADGE[result.verdict]}
        line = "| " + " | ".join(_cell(cells[c.key]) for c in shown) + " |"
        if len(line) + 1 > budget:
            break
        table.append(line)
        budget -= len(line) + 1
        listed += 1
    if listed < len(important):
        table.append(f"\n…and {len(important) - listed} more that did not pass or regressed, in {full_summary}.")
    details: list[str] = []
    for result in important[:listed]:
        block = ["", *_details(result)]
        if _length(block) > budget:  # its timeline is the first thing to go
            block = ["", *_details(result, with_timeline=False)]
        if _length(block) > budget:
            details.append(f"\nThe details of the others are in {full_summary}.")
            break
        details += block
        budget -= _length(block)
    return "\n".join([*head, *table, "", *tail, *details]).rstrip("\n") + "\n"


# What the lines that count what was left out may take, on top of the budget of a shortened summary.
RESERVED_CHARS = 500
# A run's problem in a shortened summary: its first lines say what happened (a merge joins several).
PROBLEM_SHOWN_CHARS = 2_000


def _length(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


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
