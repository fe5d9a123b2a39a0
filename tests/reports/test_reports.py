"""Reports rendered from hand-made results: what a person and a machine read."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from checker.analysis.figures import summarize
from checker.analysis.verdict import judge
from checker.reports import console, github, json_report, junit, rows
from checker.results import Attempt, Result, RunReport
from checker.wire import Measurement, RequestTiming, ServerTiming
from tests import timelines
from tests.analysis.test_figures import calibration, overlap, staircase


def result(mode: str, burst: tuple[RequestTiming, ...], low: float | None, high: float | None) -> Result:
    measurement = Measurement(calibration=calibration(), bursts=(burst,))
    figures = summarize(measurement, 200)
    expected = f">= {low:g}" if low is not None else f"<= {high:g}"
    judgement = judge(figures, low, high, expected)
    return Result(
        mode=mode,
        server="werkzeug threaded=True",
        endpoint="GET /slow",
        expected=expected,
        min_concurrency=low,
        max_concurrency=high,
        verdict=judgement.verdict,
        reason=judgement.reason,
        config_line=12,
        attempts=(Attempt(measurement, figures, judgement),),
    )


def report() -> RunReport:
    unmeasured = Result(
        mode="broken",
        server="werkzeug threaded=False",
        endpoint="GET /slow",
        expected="<= 1.5",
        min_concurrency=None,
        max_concurrency=1.5,
        verdict="error",
        reason="mode 'broken': the server exited with status 3",
        config_line=20,
    )
    results = (result("threaded", overlap(10), 8, None), result("locked", staircase(10), 8, None), unmeasured)
    return RunReport(config_path="burstcheck.yaml", results=results, duration_s=4.25, client_peak_rss_kib=40000)


def test_console_table_has_a_row_per_result_and_reasons_for_the_rest() -> None:
    text = console.render(report())
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["mode", "server", "endpoint", "expected"]
    assert lines[2].split()[0] == "threaded" and lines[2].endswith("PASS")
    assert "2.00 s" in lines[3] and lines[3].endswith("FAIL")  # the staircase's burst wall
    assert lines[4].split()[-6:] == ["-", "-", "-", "-", "-", "ERROR"]
    assert "FAIL locked GET /slow: expected >= 8, measured 1.0: requests ran one after another" in text
    assert "ERROR broken GET /slow: mode 'broken': the server exited with status 3" in text
    # The first screen explains its jargon, in the words every report's table uses (rows.Column.meaning).
    assert lines[5] == "  allowed        " + rows.COLUMNS["allowed"].meaning
    assert f"  client C       {rows.COLUMNS['client_c'].meaning}" in lines and "  L1             " in text
    assert lines[-1] == "verdict: fail (1 met, 1 missed, 1 could not be measured; 4.2 s)"


def test_json_report_is_versioned_and_carries_raw_timings() -> None:
    data = json.loads(json.dumps(json_report.render(report())))
    assert data["schema_version"] == json_report.SCHEMA_VERSION and data["verdict"] == "fail"
    first = data["results"][0]
    assert {"mode", "endpoint", "effective_concurrency", "expected", "verdict", "reason", "latency"} <= set(first)
    assert first["expected"] == {"text": ">= 8", "min": 8, "max": None, "min_parallelism": None}
    raw = first["attempts"][0]["bursts"][0]["requests"]
    assert len(raw) == 10 and raw[0]["start_offset_s"] == 0 and raw[0]["status"] == 200
    assert data["results"][2]["effective_concurrency"] is None and data["results"][2]["attempts"] == []


def test_server_timings_survive_the_json_round_trip() -> None:
    timing = RequestTiming(1.0, 2.0, 200, None, ServerTiming(pid=7, thread_id=9, enter_s=1.1, exit_s=1.9, cpu_s=0.1))
    assert RequestTiming.from_json(json.loads(json.dumps(timing.to_json()))) == timing


def server_timed_report() -> RunReport:
    """A threaded server whose accept loop staggered 20 requests: client C is low, nothing limited the app."""
    measurement = timelines.measure(timelines.thread_per_request(20, 0.02, stagger_s=0.002), 0.02)
    figures = summarize(measurement, 200)
    judgement = judge(figures, 16, None, "concurrent (>= 16)")
    result = Result(
        mode="threaded",
        server="werkzeug threaded=True",
        endpoint="GET /slow",
        expected="concurrent (>= 16)",
        min_concurrency=16,
        max_concurrency=None,
        verdict=judgement.verdict,
        reason=judgement.reason,
        config_line=7,
        diagnosis="requests ran concurrently",
        attempts=(Attempt(measurement, figures, judgement),),
    )
    return RunReport(config_path="burstcheck.yaml", results=(result,), duration_s=1.0, client_peak_rss_kib=1)


def test_every_report_shows_the_figure_the_verdict_used_beside_client_c() -> None:
    report = server_timed_report()
    figures = report.results[0].figures
    assert figures is not None and figures.effective_concurrency < 8  # what clients saw
    row = console.render(report).splitlines()[2].split()
    assert row[row.index("(>=") + 2 : row.index("(>=") + 4] == ["20.0", f"{figures.effective_concurrency:.1f}"]
    assert row[-1] == "PASS"
    summary_row = next(line for line in github.summary_markdown(report).splitlines() if "threaded" in line)
    assert f"| 20.0 (allowed) | {figures.effective_concurrency:.1f} |" in summary_row
    assert f"measured: allowed 20.00 (client-side C {figures.effective_concurrency:.2f})" in junit.render(report)
    result = json.loads(json.dumps(json_report.render(report)))["results"][0]
    assert (result["measured"], result["verdict_basis"], result["allowed_concurrency"]) == (20, "allowed", 20)
    assert result["allowed"]["limited_by"] == "nothing" and result["allowed"]["overlap"] in (10, 11)
    assert result["effective_concurrency"] == pytest.approx(figures.effective_concurrency)
    assert result["attempts"][0]["bursts"][0]["allowed"]["value"] == 20


def test_a_measurement_survives_the_json_round_trip_with_every_field() -> None:
    measurement = replace(timelines.measure(timelines.gil_shared(3, 0.02), 0.02), others_cpu_cores=1.5)
    assert Measurement.from_json(json.loads(json.dumps(measurement.to_json()))) == measurement
