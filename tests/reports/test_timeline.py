"""The burst as a picture, drawn from hand-made timelines: a staircase for serialized requests, a block for
concurrent ones, in text, Mermaid and SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checker.reports import timeline
from tests import timelines as tl

S = 0.02
N = 10


def in_app_columns(text: str) -> list[tuple[int, int]]:
    """(first, last) column of the in-app block in each row of a text timeline."""
    rows = [line.split("|")[1] for line in text.splitlines() if line.count("|") == 2]
    return [(row.index(timeline.IN_APP), row.rindex(timeline.IN_APP)) for row in rows]


def test_serialized_requests_read_as_a_staircase() -> None:
    columns = in_app_columns(timeline.text(timeline.build(tl.worker_pool(N, S, 1), "serial")))
    assert len(columns) == N
    starts = [first for first, _ in columns]
    assert starts == sorted(starts) and len(set(starts)) == N  # each starts where the one before ended
    assert all(last - first < timeline.TEXT_WIDTH / N + 1 for first, last in columns)


def test_concurrent_requests_read_as_a_block() -> None:
    picture = timeline.text(timeline.build(tl.thread_per_request(N, S), "threaded"))
    columns = in_app_columns(picture)
    assert {first for first, _ in columns} == {0} and min(last for _, last in columns) > timeline.TEXT_WIDTH * 0.8
    assert "(10 requests; 0 to 21 ms)" in picture and "w10 |" in picture  # ten workers served them


def test_a_large_burst_is_drawn_by_every_kth_request() -> None:
    picture = timeline.build(tl.thread_per_request(100, S), "big")
    assert picture.shown_every == 3 and len(picture.bars) == 34
    assert "every 3th request" in timeline.text(picture)


def test_mermaid_chart_shows_waiting_and_time_in_the_app() -> None:
    chart = timeline.mermaid(timeline.build(tl.worker_pool(4, S, 2), "serial GET /slow: werkzeug"))
    assert chart.startswith("```mermaid\n---\ndisplayMode: compact\n---\ngantt\n")
    assert "    title serial GET /slow - werkzeug\n" in chart  # ':' is Mermaid syntax in a title
    assert "    section 3 w1\n    waiting :done, 0, 20\n    in app :active, 20, 40\n" in chart
    assert chart.endswith("```")


def test_svg_is_well_formed_with_a_hover_title_per_request() -> None:
    picture = timeline.build(tl.queue_in_app(N, S, 2), "locked <GET /slow> & co")
    root = ET.fromstring(timeline.svg(picture))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}g")) == N
    assert len([r for r in root.iter(f"{ns}rect") if r.get("class") == "in-app"]) == N
    titles = [t.text or "" for t in root.iter(f"{ns}title")]
    assert titles[0].startswith("sent 0 ms, done ") and "; in the app 0 ms to 20 ms; pid 4000 / thread " in titles[0]
    assert root.get("aria-label") == "locked <GET /slow> & co"
