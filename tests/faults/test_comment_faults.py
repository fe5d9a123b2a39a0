"""The fault suite's pull-request comment (issue 19, item 15): however many results and however long their
reasons, the comment fits GitHub's 65,536 characters - failures and regressions first, the rest summarized,
and a link to the job summary, which has everything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from checker.reports import github, pr_comment
from checker.reports.outputs import Targets, write_all
from checker.results import RunReport
from tests.reports.test_pr_comment import GITHUB_MAX_BODY_CHARS, FakeGitHub, api, environ  # noqa: F401
from tests.reports.test_reports import report

RUN = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242"}
SERVER_OUTPUT = "\n".join(f"    | werkzeug: line {i} of a server's log, quoted in the reason" for i in range(30))


def many(count: int, failing_every: int) -> RunReport:
    """`count` results, one in `failing_every` failed, each reason carrying a server's output."""
    base = report()
    passed, failed = base.results[0], base.results[1]
    results = []
    for index in range(count):
        model = failed if index % failing_every == 0 else passed
        results.append(replace(model, mode=f"mode{index:03d}", reason=f"{model.reason}\n{SERVER_OUTPUT}"))
    return replace(base, results=tuple(results))


def test_a_comment_too_long_for_github_is_shortened_and_posted(tmp_path: Path, api: FakeGitHub) -> None:  # noqa: F811
    big = many(45, failing_every=9)
    assert len(github.summary_markdown(big)) > GITHUB_MAX_BODY_CHARS  # what was refused with HTTP 422
    env = {**environ(tmp_path, api), **RUN, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    assert write_all(big, Targets(comment=True), env) == []
    assert api.comments, "no comment was posted"
    body = api.comments[-1]["body"]
    assert len(body) <= GITHUB_MAX_BODY_CHARS
    assert f"{RUN['GITHUB_SERVER_URL']}/acme/shop/actions/runs/4242" in body  # the job summary has the rest
    failing = [line for line in body.splitlines() if line.startswith("| ❌ fail |")]
    assert len(failing) == 5  # every failure listed
    assert "40 results passed" in body and "| ✅ pass |" not in body
    assert "<summary>❌ fail: mode000 GET /slow</summary>" in body  # the failures' details
    assert (tmp_path / "summary.md").read_text() == github.summary_markdown(big)  # the job summary has it all


def test_thousands_of_failures_still_fit() -> None:
    huge = many(2000, failing_every=1)
    fitted = pr_comment.fitted(huge, github.summary_markdown(huge), RUN)
    assert len(pr_comment.body(fitted)) <= GITHUB_MAX_BODY_CHARS
    assert "more that did not pass" in fitted


def test_a_comment_that_fits_is_the_job_summary_itself() -> None:
    small = report()
    assert pr_comment.fitted(small, github.summary_markdown(small), RUN) == github.summary_markdown(small)
