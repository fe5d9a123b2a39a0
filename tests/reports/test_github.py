"""GitHub summary, annotations, outputs and JUnit XML, rendered from hand-made results."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from junitparser import Error, Failure, JUnitXml

from checker.reports import github, junit
from tests.reports.test_reports import report


def test_annotations_point_at_the_expect_line_of_each_failed_result() -> None:
    lines = github.failure_annotations(report(), "checks/burstcheck.yaml")
    assert len(lines) == 2  # the failure and the error; never the pass
    assert lines[0].startswith(
        "::error file=checks/burstcheck.yaml,line=12,title=burstcheck fail%3A locked GET /slow::"
    )
    assert "expected >= 8, measured 1.0: requests ran one after another" in lines[0]
    assert lines[1].startswith(
        "::error file=checks/burstcheck.yaml,line=20,title=burstcheck error%3A broken GET /slow::"
    )


def test_workflow_command_escaping() -> None:
    assert github.escape_data("50%\nnext\r") == "50%25%0Anext%0D"
    assert github.escape_property("a:b,c") == "a%3Ab%2Cc"
    line = github.annotation("error", "x.yaml", 3, "t", "one\ntwo")
    assert line == "::error file=x.yaml,line=3,title=t::one%0Atwo" and "\n" not in line


def test_summary_puts_failures_first_with_reasons() -> None:
    text = github.summary_markdown(report())
    assert text.startswith("## burstcheck: ❌ fail\n")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[1] for row in rows] == ["locked", "broken", "threaded"]
    assert "<details open><summary>❌ fail: locked GET /slow</summary>" in text
    assert "expected >= 8, measured 1.0: requests ran one after another" in text
    assert "<details open><summary>⚠️ error: broken GET /slow</summary>" in text
    assert "<details><summary>✅ pass: threaded GET /slow</summary>" in text  # passed: closed


def test_each_measured_result_has_its_timeline_as_a_mermaid_chart() -> None:
    text = github.summary_markdown(report())
    charts = text.count("```mermaid\n---\ndisplayMode: compact\n---\ngantt")
    assert charts == 2  # the failure and the pass; the error measured nothing
    assert "    section 10\n    request :9, 209\n" in text  # client-side timings: one bar per request


def test_markdown_in_an_error_cannot_break_the_table() -> None:
    error = 'cannot import app: File "<frozen importlib._bootstrap>", line 1, in __init__ | x'
    broken = replace(report(), results=(replace(report().results[0], verdict="error", reason=error, diagnosis=""),))
    text = github.summary_markdown(broken)
    row = next(line for line in text.splitlines() if line.startswith("| ⚠️ error"))
    assert row.count(" | ") == 9  # ten cells: the pipe in the message did not add one
    assert "<frozen" not in row and "__init__" not in row and "&#60;frozen importlib.&#95;bootstrap" in row
    assert error in text  # in full, in a fenced block below the table


def test_outputs() -> None:
    assert github.outputs(report(), "/tmp/r.json") == {"verdict": "fail", "report": "/tmp/r.json", "failed": "1"}


def test_junit_has_one_testcase_per_result(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(junit.render(report()), encoding="utf-8")
    suites = JUnitXml.fromfile(str(path))
    cases = {(case.classname, case.name): case for suite in suites for case in suite}
    assert set(cases) == {
        ("burstcheck.threaded", "GET /slow"),
        ("burstcheck.locked", "GET /slow"),
        ("burstcheck.broken", "GET /slow"),
    }
    assert cases[("burstcheck.threaded", "GET /slow")].is_passed
    failure = cases[("burstcheck.locked", "GET /slow")].result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "expected >= 8, measured 1.0: requests ran one after another"
    assert isinstance(cases[("burstcheck.broken", "GET /slow")].result[0], Error)
