"""The pull-request comment against a small real HTTP server on loopback that plays GitHub's three REST
endpoints (list, create, update issue comments) and records what it received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from checker.reports import github, pr_comment
from tests.loopback import serving
from tests.reports.test_reports import report

REPOSITORY = "acme/shop"
# GitHub refuses a longer comment body with HTTP 422 ("body is too long (maximum is 65536 characters)").
GITHUB_MAX_BODY_CHARS = 65_536


class FakeGitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.comments: list[dict[str, Any]] = []
        self.received: list[tuple[str, str, dict[str, Any] | None, str]] = []  # method, path, body, auth
        self.refuse_writes = 0  # an HTTP status for POST/PATCH, as a read-only token gets

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.received.append((self.command, self.path, body, self.headers.get("Authorization", "")))
        return body

    def do_GET(self) -> None:
        self._record()
        url = urlparse(self.path)
        query = parse_qs(url.query)
        page, per_page = int(query["page"][0]), int(query["per_page"][0])
        self._answer(200, self.server.comments[(page - 1) * per_page : page * per_page])

    def _too_long(self, body: dict[str, Any] | None) -> bool:
        if body is None or len(body["body"]) <= GITHUB_MAX_BODY_CHARS:
            return False
        error = {"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long"}
        self._answer(422, {"message": "Validation Failed", "errors": [error]})
        return True

    def do_POST(self) -> None:
        body = self._record()
        if self._too_long(body):
            return None
        if self.server.refuse_writes:
            return self._answer(self.server.refuse_writes, {"message": "Resource not accessible by integration"})
        comment = {"id": 1000 + len(self.server.comments), "body": body["body"] if body else ""}
        self.server.comments.append(comment)
        self._answer(201, comment)

    def do_PATCH(self) -> None:
        body = self._record()
        if self._too_long(body):
            return None
        if self.server.refuse_writes:
            return self._answer(self.server.refuse_writes, {"message": "Resource not accessible by integration"})
        comment_id = int(self.path.rsplit("/", 1)[1])
        comment = next(c for c in self.server.comments if c["id"] == comment_id)
        comment["body"] = body["body"] if body else ""
        self._answer(200, comment)


def fake_github() -> AbstractContextManager[FakeGitHub]:
    """GitHub's comment endpoints on a free loopback port, for as long as the block runs."""
    return serving(FakeGitHub())


@pytest.fixture
def api() -> Iterator[FakeGitHub]:
    with fake_github() as server:
        yield server


def environ(tmp_path: Path, api: FakeGitHub, head_repo: str = REPOSITORY) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"repo": {"full_name": head_repo}}}}))
    return {
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": api.url,
    }


def test_the_first_run_creates_the_comment_and_the_next_edits_it(tmp_path: Path, api: FakeGitHub) -> None:
    api.comments = [{"id": i, "body": f"a reviewer's comment {i}"} for i in range(150)]  # two pages of them
    markdown = github.summary_markdown(report())
    first = pr_comment.post(markdown, environ(tmp_path, api))
    assert first.ok and first.message == "posted a comment on pull request #7"
    posts = [r for r in api.received if r[0] == "POST"]
    assert len(posts) == 1 and posts[0][1] == f"/repos/{REPOSITORY}/issues/7/comments"
    assert posts[0][2] is not None and posts[0][2]["body"] == pr_comment.MARKER + "\n" + markdown
    assert posts[0][3] == "Bearer t0ken"
    second = pr_comment.post(markdown.replace("❌ fail", "✅ pass"), environ(tmp_path, api))
    assert second.ok and second.message == "updated its comment on pull request #7"
    patches = [r for r in api.received if r[0] == "PATCH"]
    assert [p[1] for p in patches] == [f"/repos/{REPOSITORY}/issues/comments/1150"]  # found on page 2
    assert len(api.comments) == 151 and "✅ pass" in api.comments[-1]["body"]  # one comment, edited
    assert api.comments[0]["body"] == "a reviewer's comment 0"  # nobody else's comment touched


def test_a_forks_read_only_token_is_explained_not_fatal(tmp_path: Path, api: FakeGitHub) -> None:
    api.refuse_writes = 403
    posted = pr_comment.post("summary", environ(tmp_path, api, head_repo="someone/shop"))
    assert not posted.ok
    assert posted.message.startswith("no comment posted: the pull request comes from a fork, whose token is read-only")
    own = pr_comment.post("summary", environ(tmp_path, api))
    assert "give the job `permissions: pull-requests: write`" in own.message


def test_outside_a_pull_request_nothing_is_sent(tmp_path: Path, api: FakeGitHub) -> None:
    env = environ(tmp_path, api)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"ref": "refs/heads/main"}))
    assert pr_comment.post("summary", env).message == "not a pull request: no comment posted"
    assert api.received == []
