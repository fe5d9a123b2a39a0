"""The console table: one row per mode x endpoint, then each result's reason and diagnosis.

`allowed` is what the verdict uses when burstcheck launched the app (the concurrency the server and app
allowed); `client C` is what clients experienced, overheads included (the verdict's figure for command
servers, where `allowed` is n/a)."""

from __future__ import annotations

from collections.abc import Sequence

from checker.reports import timeline
from checker.results import Baseline, Result, RunReport
from checker.text import one_line, printable

HEADERS = (
    "mode",
    "server",
    "endpoint",
    "expected",
    "allowed",
    "client C",
    "admitted",
    "procs/threads",
    "burst wall",
    "L1",
    "p50",
    "p95",
    "verdict",
)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def baseline_cell(result: Result, baseline: Baseline | None) -> str:
    """The baseline's value and the change, e.g. '9.0 (-33%)'; '-' where there is nothing to compare."""
    change = baseline.change_of(result) if baseline else None
    if change is None or change.before is None:
        return "-"
    relative = f" ({change.relative:+.0%})" if change.relative is not None else ""
    return f"{change.before:.1f}{relative}" + (" REGRESSED" if change.regressed else "")


def comparison(baseline: Baseline) -> str:
    """One line per result compared with the baseline, regressions marked."""
    lines = [f"baseline {one_line(baseline.path)} (a drop of more than {baseline.tolerance:.0%} is a regression):"]
    if baseline.warning:
        lines.append(f"  warning: the baseline was not used: {baseline.warning}")
    for change in baseline.changes:
        mark = "REGRESSED" if change.regressed else "ok"
        lines.append(f"  {mark:<9} {one_line(change.mode)} {one_line(change.endpoint)}: {change.describe()}")
    return "\n".join(lines)


def row(result: Result) -> tuple[str, ...]:
    figures = result.figures
    if figures is None:
        measured: tuple[str, ...] = ("-",) * 8
    else:
        burst = figures.median_burst
        server = burst.server
        allowed = figures.allowed_concurrency
        measured = (
            f"{allowed:.1f}" if allowed is not None else "n/a",
            f"{figures.effective_concurrency:.1f}",
            str(server.admitted_concurrency) if server else "n/a",
            f"{server.processes}/{server.threads}" if server else "n/a",
            _seconds(burst.burst_wall_s),
            _seconds(figures.calibration_latency_s),
            _seconds(burst.latency.p50_s),
            _seconds(burst.latency.p95_s),
        )
    named = (one_line(result.mode), one_line(result.server), one_line(result.endpoint), result.expected)
    return (*named, *measured, result.verdict.upper())


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip()
        for line in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


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
    rows = [row(r) for r in report.results]
    headers: tuple[str, ...] = HEADERS
    if report.baseline is not None:  # beside the verdict's figure: then and now
        rows = [
            (*r[:5], baseline_cell(result, report.baseline), *r[5:])
            for r, result in zip(rows, report.results, strict=True)
        ]
        headers = (*HEADERS[:5], "baseline", *HEADERS[5:])
    out = [table(rows, headers), *interpreters(report), ""]
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
