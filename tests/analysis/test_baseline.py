"""Comparison with a baseline: pure rules on hand-made values, `burstcheck compare` on files, and
`run --baseline` on a real server."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from checker.analysis.baseline import compare
from checker.errors import EXIT_CONFIG_ERROR, EXIT_EXPECTATION_FAILED, EXIT_OK
from checker.reports import json_report as reports_json
from checker.results import fail_regressions, measured_by_key
from tests.conftest import REPO, WriteConfig, burstcheck_argv, run_with_report
from tests.reports.test_reports import report

KEY = ("threaded", "GET /slow", "werkzeug threaded=True")


def json_report(measured: float | None, version: int = reports_json.SCHEMA_VERSION) -> dict[str, Any]:
    """A real report (tests.test_reports) whose `threaded` result says it measured `measured`."""
    data = reports_json.render(report())
    data["schema_version"] = version
    (threaded,) = [r for r in data["results"] if r["mode"] == "threaded"]
    threaded["measured"] = measured
    return data


def measured_in(data: dict[str, Any]) -> dict[tuple[str, str, str], float | None]:
    return measured_by_key(reports_json.load(data).results)


def test_a_drop_beyond_the_tolerance_is_a_regression_and_noise_is_not() -> None:
    baseline = compare({KEY: 9.0}, {KEY: 6.0}, 0.25, "main.json")
    (change,) = baseline.changes
    assert change.regressed and change.describe() == "9.0 -> 6.0 (-33%)"
    assert not compare({KEY: 9.0}, {KEY: 7.0}, 0.25, "main.json").changes[0].regressed  # -22%: within noise
    assert not compare({KEY: 9.0}, {KEY: 12.0}, 0.25, "main.json").regressions  # more concurrent is no regression
    unmeasured = compare({KEY: None}, {KEY: 6.0}, 0.25, "main.json").changes[0]
    assert not unmeasured.regressed and unmeasured.describe() == "not measured on the baseline"


def test_a_foreign_or_old_baseline_is_a_warning() -> None:
    other = ("serial", "GET /other", "werkzeug threaded=False")
    assert compare({other: 1.0}, {KEY: 6.0}, 0.25, "x").warning.startswith("no mode x endpoint of this run is in it")
    with pytest.raises(ValueError, match="its schema_version is 2"):
        reports_json.load(json_report(1.0, version=2))
    with pytest.raises(ValueError, match="it is not a burstcheck JSON report"):
        reports_json.load({"not": "a report"})
    assert measured_in(json_report(9.0))[KEY] == 9.0  # what the baseline reported, as it reported it
    busy_then = json_report(9.0)
    (threaded,) = [r for r in busy_then["results"] if r["mode"] == "threaded"]
    threaded["verdict"] = "error"  # the baseline could not measure it: nothing to regress from
    assert measured_in(busy_then)[KEY] is None


def test_fail_on_regression_fails_a_result_whose_expectation_passed() -> None:
    passed = next(r for r in report().results if r.verdict == "pass")
    key = (passed.mode, passed.endpoint, passed.server)
    assert passed.figures is not None
    baseline = compare({key: passed.figures.measured * 2}, {key: passed.figures.measured}, 0.25, "main.json")
    (failed,) = fail_regressions([passed], baseline)
    assert failed.verdict == "fail"
    assert failed.reason.startswith("regressed against the baseline: ") and "(fail_on_regression)" in failed.reason


def _compare(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    argv = burstcheck_argv("compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.mark.e2e
def test_the_compare_command_prints_the_comparison_and_exits_1_on_a_regression(tmp_path: Path) -> None:
    done = _compare(tmp_path, json_report(9.0), json_report(6.0))
    assert done.returncode == EXIT_EXPECTATION_FAILED
    assert "  REGRESSED threaded GET /slow: 9.0 -> 6.0 (-33%)" in done.stdout, done.stdout + done.stderr
    assert _compare(tmp_path, json_report(9.0), json_report(8.5)).returncode == EXIT_OK
    old = _compare(tmp_path, json_report(9.0, version=2), json_report(8.5))
    assert old.returncode == EXIT_CONFIG_ERROR and "its schema_version is 2" in old.stderr


@pytest.mark.e2e
def test_run_with_a_baseline_shows_the_change_and_fails_only_when_told(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = (
        "app: sleepy:app\napp_dir: APPS\nburst: {requests: 6, repeats: 1, calibration_requests: 2}\n"
        "endpoints: [{path: '/slow?seconds=0.1'}]\n"
        "modes: [{name: threaded, threaded: true, expect: {min_concurrency: 2}}]\n"
    )
    path = write_config(config)
    first = run_with_report(path, tmp_path / "main.json")
    assert first.returncode == EXIT_OK
    main = first.report
    main["results"][0]["measured"] = 60.0  # main served ten times more at once
    (tmp_path / "main.json").write_text(json.dumps(main))
    warned = subprocess.run(
        burstcheck_argv("run", str(path), "--baseline", str(tmp_path / "main.json")),
        capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, "GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert warned.returncode == EXIT_OK, warned.stdout  # a regression alone is a warning by default
    assert "60.0 (-90%) REGRESSED" in warned.stdout and "::warning file=" in warned.stdout
    write_config(config + "fail_on_regression: true\n")
    failed = run_with_report(path, tmp_path / "pr.json")
    assert failed.returncode == EXIT_OK  # no --baseline: nothing to regress against
    failing = subprocess.run(
        burstcheck_argv("run", str(path), "--baseline", str(tmp_path / "main.json")),
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert failing.returncode == EXIT_EXPECTATION_FAILED
    assert "regressed against the baseline: 60.0 -> 6.0 (-90%)" in failing.stdout
    missing = subprocess.run(
        burstcheck_argv("run", str(path), "--baseline", str(tmp_path / "nope.json")),
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert missing.returncode == EXIT_OK and "warning: the baseline was not used: cannot read it" in missing.stdout


def test_a_result_that_could_not_be_measured_is_not_compared() -> None:
    measured = next(r for r in report().results if r.verdict == "pass")
    busy = replace(measured, verdict="error", reason="the machine is busy")  # figures, but no verdict on them
    key = (measured.mode, measured.endpoint, measured.server)
    assert measured_by_key([busy]) == {key: None}
    assert measured.figures is not None
    assert measured_by_key([measured])[key] == measured.figures.measured
