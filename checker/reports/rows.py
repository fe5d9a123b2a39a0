"""The results table, once for every report that shows one (console, job summary, HTML): which columns there
are, what each means, and each result's cells. A report picks its columns and renders the cells its own way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checker.analysis.baseline import Baseline
from checker.results import Result
from checker.safe_text import one_line


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    meaning: str  # a few words, for a legend below the table
    numeric: bool = False


COLUMNS = {
    column.key: column
    for column in (
        Column("verdict", "verdict", "pass, fail, or error (could not be measured)"),
        Column("mode", "mode", "the mode's name in the config"),
        Column("server", "server", "the server and its settings"),
        Column("endpoint", "endpoint", "the request each burst sends N times at once"),
        Column("expected", "expected", "the mode's expectation"),
        Column("allowed", "allowed", "requests the server and the app let run at once (the verdict's figure)", True),
        Column("measured", "measured", "the verdict's figure, and which one it is", True),
        Column("baseline", "baseline", "the baseline's figure and the change since", True),
        Column("client_c", "client C", "what clients experienced: N x L1 / burst wall, overheads included", True),
        Column("admitted", "admitted", "most requests inside the app at the same moment", True),
        Column("workers", "procs/threads", "processes and threads that served the burst"),
        Column("burst_wall", "burst wall", "the burst's release to its last answer read", True),
        Column("l1", "L1", "latency of one request alone", True),
        Column("p50", "p50", "median latency in the burst", True),
        Column("p95", "p95", "95th percentile latency in the burst", True),
        Column("why", "why", "the diagnosis"),
    )
}


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def baseline_cell(result: Result, baseline: Baseline | None) -> str:
    """The baseline's value and the change, e.g. '9.0 (-33%)'; '-' where there is nothing to compare."""
    change = baseline.change_of(result.key) if baseline else None
    if change is None or change.before is None:
        return "-"
    relative = f" ({change.relative:+.0%})" if change.relative is not None else ""
    return f"{change.before:.1f}{relative}" + (" REGRESSED" if change.regressed else "")


def cells(result: Result, baseline: Baseline | None = None) -> dict[str, str]:
    """Every column's text for one result ('-' where nothing was measured, 'n/a' where a figure does not apply);
    names and paths are made one line, so a row stays one row."""
    figures = result.figures
    out = {
        "verdict": result.verdict,
        "mode": one_line(result.mode),
        "server": one_line(result.server),
        "endpoint": one_line(result.endpoint),
        "expected": result.expected,
        "baseline": baseline_cell(result, baseline),
        "why": (result.diagnosis or result.reason).splitlines()[0] if (result.diagnosis or result.reason) else "",
    }
    if figures is None:
        return {**out, **{key: "-" for key in COLUMNS if key not in out}}
    burst = figures.median_burst
    server = burst.server
    allowed = figures.allowed_concurrency
    return {
        **out,
        "allowed": f"{allowed:.1f}" if allowed is not None else "n/a",
        "measured": f"{figures.measured:.1f} ({figures.basis})",
        "client_c": f"{figures.effective_concurrency:.1f}",
        "admitted": str(server.admitted_concurrency) if server else "n/a",
        "workers": f"{server.processes}/{server.threads}" if server else "n/a",
        "burst_wall": seconds(burst.burst_wall_s),
        "l1": seconds(figures.calibration_latency_s),
        "p50": seconds(burst.latency.p50_s),
        "p95": seconds(burst.latency.p95_s),
    }


def columns(keys: Sequence[str], baseline: bool, after: str) -> list[Column]:
    """The columns a report shows: `keys`, and with a baseline its column right after `after` (the verdict's
    figure: then and now side by side)."""
    chosen = [COLUMNS[key] for key in keys]
    if baseline:
        at = list(keys).index(after) + 1
        chosen.insert(at, COLUMNS["baseline"])
    return chosen
