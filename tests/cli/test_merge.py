"""Reading a JSON report back, and `burstcheck merge`: the reports of a job matrix joined into one."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from checker.analysis.figures import summarize
from checker.analysis.verdict import judge
from checker.errors import EXIT_CONFIG_ERROR, EXIT_EXPECTATION_FAILED
from checker.reports import json_report
from checker.results import Attempt, RunReport
from tests import timelines as tl
from tests.conftest import REPO, burstcheck_argv
from tests.reports.test_reports import report, result


def with_server_timings() -> RunReport:
    """The hand-made report, and a result whose requests carry the middleware's timings (a pool of 2)."""
    measurement = tl.measure(tl.worker_pool(8, 0.05, 2), 0.05)
    figures = summarize(measurement, 200)
    judgement = judge(figures, 2, None, ">= 2")
    pooled = replace(
        result("pooled", measurement.bursts[0], 2, None),
        verdict=judgement.verdict,
        reason=judgement.reason,
        attempts=(Attempt(measurement, figures, judgement),),
    )
    base = report()
    return replace(base, results=(*base.results, pooled))


def test_a_report_reads_back_as_it_was_written() -> None:
    original = with_server_timings()
    written = json_report.render(original)
    again = json_report.load(json.loads(json.dumps(written)))
    assert json_report.render(again) == written  # figures computed again from the timings: the same
    assert again.results[-1].attempts[0].figures.allowed_concurrency == 2.0
    assert [r.verdict for r in again.results] == [r.verdict for r in original.results]


def test_a_report_of_another_version_is_refused() -> None:
    written = json_report.render(report())
    for broken in ({**written, "schema_version": 2}, {**written, "results": [{"mode": "x"}]}, ["not", "a", "report"]):
        try:
            json_report.load(broken)  # type: ignore[arg-type]
        except ValueError:
            continue
        raise AssertionError(f"loaded {str(broken)[:60]}")


def split_reports(tmp_path: Path) -> list[Path]:
    """Two jobs' reports: one checked `threaded` and `locked`, the other `broken` and `pooled`."""
    full = with_server_timings()
    paths = []
    for number, part in enumerate((full.results[:2], full.results[2:]), start=1):
        path = tmp_path / f"job{number}.json"
        path.write_text(json.dumps(json_report.render(replace(full, results=part))))
        paths.append(path)
    return paths


@pytest.mark.e2e
def test_merge_joins_the_jobs_into_one_report_with_every_output(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    argv = burstcheck_argv("merge", *map(str, split_reports(tmp_path)), "--json", str(tmp_path / "all.json"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert done.returncode == EXIT_EXPECTATION_FAILED, done.stderr  # `locked` failed in job 1
    merged = json.loads((tmp_path / "all.json").read_text())
    assert [r["mode"] for r in merged["results"]] == ["threaded", "locked", "broken", "pooled"]
    assert merged["counts"] == {"fail": 1, "error": 1, "pass": 2}
    assert summary.read_text().count("## burstcheck: ❌ fail") == 1  # one summary for the whole matrix
    assert "FAIL locked GET /slow" in done.stdout


@pytest.mark.e2e
def test_merge_refuses_other_configs_and_a_mode_twice(tmp_path: Path) -> None:
    first, second = split_reports(tmp_path)
    data = json.loads(second.read_text())
    data["config"] = "other/burstcheck.yaml"
    second.write_text(json.dumps(data))
    done = subprocess.run(burstcheck_argv("merge", str(first), str(second)), capture_output=True, text=True, cwd=REPO)
    assert done.returncode == EXIT_CONFIG_ERROR and "these reports are of different configs" in done.stderr
    twice = subprocess.run(burstcheck_argv("merge", str(first), str(first)), capture_output=True, text=True, cwd=REPO)
    assert twice.returncode == EXIT_CONFIG_ERROR and "threaded GET /slow is in more than one report" in twice.stderr
