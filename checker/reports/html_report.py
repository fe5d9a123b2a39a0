"""The HTML report (`--html PATH`): one self-contained file - no scripts, fonts or anything fetched - with the
results table, each result's reason and diagnosis, and its burst as an inline SVG timeline (hover a bar for
its times). Readable offline and as a CI artifact."""

from __future__ import annotations

from html import escape

from checker.reports import console, rows, timeline
from checker.reports.github import ENDING_TITLE, VERDICT_ORDER
from checker.results import Result, RunReport
from checker.safe_text import printable

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; max-width: 80rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .error, .interrupted { color: #9a6700; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
svg.timeline rect.waiting { fill: #d0d7de; } svg.timeline rect.in-app { fill: #0969da; }
svg.timeline rect.failed { fill: #cf222e; } svg.timeline text { font: 10px monospace; fill: #57606a; }
svg.timeline g.request:hover rect { stroke: #1f2328; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
"""
# The HTML table's columns, in order; with a baseline its column follows `measured`.
SHOWN = ("verdict", "mode", "endpoint", "server", "expected", "measured", "client_c", "admitted", "burst_wall")


def _text(value: str) -> str:
    return escape(printable(value))


def _row(result: Result, shown: list[rows.Column], cells: dict[str, str]) -> str:
    out = []
    for column in shown:
        text = _text(cells[column.key])
        if column.key == "verdict":
            out.append(f'<td class="{result.verdict}">{text}</td>')
        elif column.key == "endpoint":
            out.append(f'<td><a href="#{_anchor(result)}">{text}</a></td>')
        else:
            out.append(f'<td class="num">{text}</td>' if column.numeric else f"<td>{text}</td>")
    return f"<tr>{''.join(out)}</tr>"


def _anchor(result: Result) -> str:
    return "r-" + "".join(c if c.isalnum() else "-" for c in f"{result.mode}-{result.endpoint}")


def _section(result: Result) -> str:
    parts = [
        f'<section id="{_anchor(result)}" class="result">',
        f'<h2><span class="{result.verdict}">{result.verdict}</span>: {_text(result.mode)}'
        f" {_text(result.endpoint)} <small>({_text(result.server)})</small></h2>",
        f'<pre class="reason">{_text(result.reason)}</pre>',
    ]
    if result.diagnosis:
        parts.append(f'<p class="diagnosis"><strong>Why:</strong> {_text(result.diagnosis)}</p>')
    picture = timeline.of_result(result)
    if picture is not None:
        every = f"; every {picture.shown_every}th request" if picture.shown_every > 1 else ""
        parts += [
            f"<p>The median burst: {picture.requests} requests{every}, one row each, ordered by when they were"
            " sent; hover a bar for its times and the worker that served it.</p>",
            timeline.svg(picture),
            '<p class="legend"><span style="background:#d0d7de"></span>waiting or transferring'
            '<span style="background:#0969da"></span>in the app<span style="background:#cf222e"></span>failed</p>',
        ]
    parts.append("</section>")
    return "\n".join(parts)


def render(report: RunReport) -> str:
    ordered = sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict])
    counts = report.counts
    body = [
        f'<h1>burstcheck: <span class="{report.verdict}">{report.verdict}</span></h1>',
        f"<p>{counts['fail']} missed, {counts['error']} could not be measured, {counts['pass']} met"
        f" &middot; config <code>{_text(report.config_path)}</code> &middot; {report.duration_s:.1f} s</p>",
    ]
    if report.ending != "complete":
        body += [
            f'<p class="ending"><strong>The run ended early: {ENDING_TITLE[report.ending]}.</strong></p>',
            f"<pre>{_text(report.problem)}</pre>",
        ]
    if ordered:
        shown = rows.columns(SHOWN, report.baseline is not None, after="measured")
        header = "".join(f'<th title="{escape(c.meaning)}">{c.header}</th>' for c in shown)
        body += [f'<table class="results"><thead><tr>{header}</tr></thead><tbody>']
        body += [_row(r, shown, rows.cells(r, report.baseline)) for r in ordered]
        body.append("</tbody></table>")
        if report.baseline is not None:
            body.append(f'<pre class="baseline">{_text(console.comparison(report.baseline))}</pre>')
        body += [_section(r) for r in ordered]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>burstcheck: {report.verdict} - {_text(report.config_path)}</title>",
            f"<style>{STYLE}</style></head><body>",
            *body,
            "</body></html>",
            "",
        ]
    )
