"""A burst as a picture: one bar per request from its send to its last byte, and inside it the time it spent
in the app, with the process/thread that served it. Serialized requests read as a staircase, concurrent
ones as a block. Pure: a timeline is built from a result's timings and drawn as text, Mermaid or SVG."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from checker.results import Result
from checker.safe_text import one_line
from checker.wire import RequestTiming

TEXT_WIDTH = 60  # columns of the text timeline's time axis
MAX_ROWS = 40  # a larger burst is shown by every k-th request, in order
MERMAID_MAX_ROWS = 25  # GitHub renders larger gantt charts slowly and very tall
SAME_SEND_S = 0.001  # requests sent within a millisecond count as sent together: ordered by when they got in


@dataclass(frozen=True)
class Bar:
    """One request, in seconds from the burst's first send."""

    sent_s: float
    done_s: float
    enter_s: float | None  # in the app, where the middleware saw it
    exit_s: float | None
    served_by: str  # e.g. "pid 4120 / thread 4133"; empty without server timings
    failed: bool


@dataclass(frozen=True)
class Timeline:
    title: str  # e.g. "threaded GET /slow: werkzeug threaded=True"
    bars: tuple[Bar, ...]  # ordered by send time, then by when they entered the app
    wall_s: float
    shown_every: int  # 1, or k when only every k-th request is drawn
    requests: int


def of_result(result: Result, max_rows: int = MAX_ROWS) -> Timeline | None:
    """The median burst of the result's last attempt; None when nothing was measured."""
    if not result.attempts:
        return None
    attempt = result.attempts[-1]
    if not attempt.measurement.bursts:
        return None
    burst = attempt.measurement.bursts[attempt.figures.median_index]
    return build(burst, f"{result.mode} {result.endpoint}: {result.server}", max_rows)


def build(timings: tuple[RequestTiming, ...], title: str, max_rows: int = MAX_ROWS) -> Timeline:
    start = min(t.sent_s for t in timings)
    bars = sorted((_bar(t, start) for t in timings), key=_order)
    every = max(1, -(-len(bars) // max_rows))
    wall = max(b.done_s for b in bars)
    return Timeline(title, tuple(bars[::every]), wall, every, len(bars))


def _bar(timing: RequestTiming, start: float) -> Bar:
    server = timing.server
    return Bar(
        sent_s=timing.sent_s - start,
        done_s=timing.done_s - start,
        enter_s=server.enter_s - start if server else None,
        exit_s=server.exit_s - start if server else None,
        served_by=f"pid {server.pid} / thread {server.thread_id}" if server else "",
        failed=timing.error is not None,
    )


def _order(bar: Bar) -> tuple[int, float]:
    return int(bar.sent_s / SAME_SEND_S), bar.enter_s if bar.enter_s is not None else bar.done_s


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


# --- text -------------------------------------------------------------------------------------------------

WAITING, IN_APP, FAILED = "░", "█", "!"


def text(timeline: Timeline, width: int = TEXT_WIDTH) -> str:
    """Rows of Unicode blocks: ░ waiting (client, network, queue, transfer), █ in the app, ! failed."""
    scale = width / timeline.wall_s if timeline.wall_s > 0 else 0.0
    names = _worker_names(timeline)

    def column(seconds: float) -> int:
        return min(width - 1, int(seconds * scale))

    lines = []
    for bar in timeline.bars:
        row = [" "] * width
        for i in range(column(bar.sent_s), column(bar.done_s) + 1):
            row[i] = FAILED if bar.failed else WAITING
        if bar.enter_s is not None and bar.exit_s is not None and not bar.failed:
            for i in range(column(bar.enter_s), column(bar.exit_s) + 1):
                row[i] = IN_APP
        lines.append(f"  {names.get(bar.served_by, ''):>4} |{''.join(row)}|")
    every = f", every {timeline.shown_every}th request" if timeline.shown_every > 1 else ""
    head = f"  timeline of the median burst ({timeline.requests} requests{every}; 0 to {_ms(timeline.wall_s)})"
    legend = f"  {WAITING} waiting or transferring  {IN_APP} in the app  {FAILED} failed; left: which worker served it"
    return "\n".join([head, *lines, legend])


def _worker_names(timeline: Timeline) -> dict[str, str]:
    """Short names for the workers (w1, w2, ...) in order of first use."""
    names: dict[str, str] = {}
    for bar in timeline.bars:
        if bar.served_by and bar.served_by not in names:
            names[bar.served_by] = f"w{len(names) + 1}"
    return names


# --- Mermaid (GitHub job summary, PR comment) ---------------------------------------------------------------


def mermaid(timeline: Timeline, max_rows: int = MERMAID_MAX_ROWS) -> str:
    """A gantt chart in compact mode: each request a section, its waiting and in-app parts on one row."""
    every = max(1, -(-len(timeline.bars) // max_rows))
    lines = [
        "```mermaid",
        "---",
        "displayMode: compact",
        "---",
        "gantt",
        f"    title {_mermaid_text(timeline.title)}",
        "    dateFormat x",
        "    axisFormat " + ("%L ms" if timeline.wall_s < 1 else "%M:%S.%L"),
    ]
    names = _worker_names(timeline)
    for number, bar in enumerate(timeline.bars[::every], start=1):
        lines.append(f"    section {number} {names.get(bar.served_by, '')}".rstrip())
        start, end = _ms_int(bar.sent_s), max(_ms_int(bar.done_s), _ms_int(bar.sent_s) + 1)
        if bar.failed or bar.enter_s is None or bar.exit_s is None:
            lines.append(f"    {'failed' if bar.failed else 'request'} :{'crit, ' if bar.failed else ''}{start}, {end}")
            continue
        enter, leave = _ms_int(bar.enter_s), max(_ms_int(bar.exit_s), _ms_int(bar.enter_s) + 1)
        if enter > start:
            lines.append(f"    waiting :done, {start}, {enter}")
        lines.append(f"    in app :active, {enter}, {leave}")
        if end > leave:
            lines.append(f"    transfer :done, {leave}, {end}")
    lines.append("```")
    return "\n".join(lines)


def _ms_int(seconds: float) -> int:
    return round(seconds * 1000)


def _mermaid_text(value: str) -> str:
    """Mermaid reads ':' and '#' and ';' as syntax in titles; keep the words (control characters and
    bidirectional overrides escaped)."""
    return one_line(value).replace(":", " -").replace("#", "").replace(";", ",")


# --- SVG (HTML report) --------------------------------------------------------------------------------------

ROW_PX, LABEL_PX, PLOT_PX, AXIS_PX = 14, 70, 640, 24


def svg(timeline: Timeline) -> str:
    """Inline SVG, one row per request, with a <title> per bar that a browser shows on hover."""
    height = len(timeline.bars) * ROW_PX + AXIS_PX
    scale = PLOT_PX / timeline.wall_s if timeline.wall_s > 0 else 0.0
    names = _worker_names(timeline)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{LABEL_PX + PLOT_PX + 10}" '
        f'height="{height}" role="img" aria-label="{escape(timeline.title)}">'
    ]
    for row, bar in enumerate(timeline.bars):
        y = row * ROW_PX
        name = names.get(bar.served_by, "")
        hover = (
            f"sent {_ms(bar.sent_s)}, done {_ms(bar.done_s)}"
            + (
                f"; in the app {_ms(bar.enter_s)} to {_ms(bar.exit_s)}"
                if bar.enter_s is not None and bar.exit_s
                else ""
            )
            + (f"; {bar.served_by}" if bar.served_by else "")
            + ("; failed" if bar.failed else "")
        )
        parts.append(f'<g class="request"><title>{escape(hover)}</title>')
        parts.append(f'<text x="0" y="{y + ROW_PX - 3}" class="worker">{escape(name)}</text>')
        x, w = LABEL_PX + bar.sent_s * scale, max(1.0, (bar.done_s - bar.sent_s) * scale)
        kind = "failed" if bar.failed else "waiting"
        parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW_PX - 4}"/>')
        if bar.enter_s is not None and bar.exit_s is not None and not bar.failed:
            x, w = LABEL_PX + bar.enter_s * scale, max(1.0, (bar.exit_s - bar.enter_s) * scale)
            parts.append(f'<rect class="in-app" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW_PX - 4}"/>')
        parts.append("</g>")
    axis_y = len(timeline.bars) * ROW_PX + 16
    parts.append(f'<text x="{LABEL_PX}" y="{axis_y}" class="axis">0</text>')
    parts.append(
        f'<text x="{LABEL_PX + PLOT_PX}" y="{axis_y}" class="axis" text-anchor="end">{_ms(timeline.wall_s)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
