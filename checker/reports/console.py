"""The console table: one row per mode x endpoint, then each result's reason and diagnosis.

`allowed` is what the verdict uses when burstcheck launched the app (the concurrency the server and app
allowed); `client C` is what clients experienced, overheads included (the verdict's figure for command
servers, where `allowed` is n/a)."""

from __future__ import annotations

from collections.abc import Sequence

from checker.analysis.baseline import Baseline
from checker.reports import rows, timeline
from checker.results import RunReport
from checker.safe_text import one_line, printable

# The console's columns, in order; with a baseline its column follows `allowed`.
SHOWN = (
    "mode",
    "server",
    "endpoint",
    "expected",
    "allowed",
    "client_c",
    "admitted",
    "workers",
    "burst_wall",
    "l1",
    "p50",
    "p95",
    "verdict",
)


# The columns whose names are jargon on first sight: a legend under the table says what each means
# (rows.Column.meaning, the words every report uses).
LEGEND = ("allowed", "client_c", "admitted", "workers", "burst_wall", "l1")  # p50, p95: percentiles, as anywhere


def legend(shown: Sequence[rows.Column]) -> list[str]:
    """One line per jargon column shown, its header aligned before its meaning."""
    explained = [c for c in shown if c.key in LEGEND]
    width = max((len(c.header) for c in explained), default=0)
    return [f"  {c.header.ljust(width)}  {c.meaning}" for c in explained]


def comparison(baseline: Baseline) -> str:
    """One line per result compared with the baseline, regressions marked."""
    lines = [f"baseline {one_line(baseline.path)} (a drop of more than {baseline.tolerance:.0%} is a regression):"]
    if baseline.warning:
        lines.append(f"  warning: the baseline was not used: {baseline.warning}")
    for change in baseline.changes:
        mark = "REGRESSED" if change.regressed else "ok"
        lines.append(f"  {mark:<9} {one_line(change.mode)} {one_line(change.endpoint)}: {change.describe()}")
    return "\n".join(lines)


def table(lines: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *lines, strict=False)]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip()
        for line in [headers, *lines]
    ]
    out.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(out)


def interpreters(report: RunReport) -> list[str]:
    """Which interpreter ran the app in which modes: a line per interpreter."""
    modes: dict[str, list[str]] = {}
    for result in report.results:
        if result.python and result.mode not in modes.setdefault(result.python, []):
            modes[result.python].append(result.mode)
    return [f"python: {one_line(python)} for {', '.join(names)}" for python, names in modes.items()]


def render(report: RunReport, timelines: bool = False) -> str:
    """The table and every result's reason, with the timeline of its median burst for every result that
    failed (and every measured result with `timelines`); empty when the run ended before any result (a
    config error, whose message is printed on its own)."""
    if not report.results:
        return ""
    shown = rows.columns(SHOWN, report.baseline is not None, after="allowed")
    lines = []
    for result in report.results:
        cells = rows.cells(result, report.baseline)
        lines.append([cells[c.key].upper() if c.key == "verdict" else cells[c.key] for c in shown])
    out = [table(lines, [c.header for c in shown]), *legend(shown), *interpreters(report), ""]
    for result in report.results:
        out.append(f"{result.verdict.upper()} {one_line(result.mode)} {one_line(result.endpoint)}: {result.reason}")
        if result.diagnosis:
            out.append(f"    why: {result.diagnosis}")
        picture = timeline.of_result(result) if timelines or result.verdict == "fail" else None
        if picture is not None:
            out.append(timeline.text(picture))
    if report.baseline is not None:
        out.append(comparison(report.baseline))
    counts = report.counts
    out.append(
        f"verdict: {report.verdict} ({counts['pass']} met, {counts['fail']} missed, "
        f"{counts['error']} could not be measured; {report.duration_s:.1f} s)"
    )
    return printable("\n".join(out))
