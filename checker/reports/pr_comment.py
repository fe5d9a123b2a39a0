"""The pull-request comment: the job summary posted as one comment per pull request, found again by a hidden
marker and edited on the next push, through GitHub's REST API with the job's token. Never fails a run: on a
fork's pull request (a read-only token) or any API error it says why and goes on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from checker.reports import github
from checker.results import RunReport

# GitHub refuses a longer body with HTTP 422 ("body is too long (maximum is 65536 characters)").
MAX_BODY_CHARS = 65_536
# GitHub may count some characters (outside the Basic Multilingual Plane) differently: stay this far below.
MARGIN_CHARS = 1_000
MARKER = "<!-- burstcheck: pull-request comment -->"
API_TIMEOUT_S = 30
PER_PAGE = 100
MAX_PAGES = 30  # 3000 comments: far beyond any pull request a reviewer still reads
DEFAULT_API = "https://api.github.com"


@dataclass(frozen=True)
class Posted:
    ok: bool
    message: str  # what happened, for the log and the job summary


def body(summary_markdown: str) -> str:
    return f"{MARKER}\n{summary_markdown}"


def fitted(report: RunReport, summary_markdown: str, environ: Mapping[str, str]) -> str:
    """The comment's markdown: the job summary when it fits GitHub's limit, else the summary shortened to what
    did not pass and what regressed, with a link to the job summary, which has everything."""
    limit = MAX_BODY_CHARS - MARGIN_CHARS - len(body(""))
    if len(summary_markdown) <= limit:
        return summary_markdown
    return github.shortened_summary(report, limit, _job_summary_link(environ))


def _job_summary_link(environ: Mapping[str, str]) -> str:
    """Where the run's job summary is: its workflow run's page."""
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
    if not repository or not run_id:
        return "the job summary of this run"
    return f"[the job summary]({server}/{repository}/actions/runs/{run_id})"


def post(summary_markdown: str, environ: Mapping[str, str], session: requests.Session | None = None) -> Posted:
    """Create or update this run's comment on the pull request the workflow runs for."""
    token, repository = environ.get("GITHUB_TOKEN", ""), environ.get("GITHUB_REPOSITORY", "")
    event = _event(environ.get("GITHUB_EVENT_PATH", ""))
    pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    if pull is None or not isinstance(pull.get("number"), int):
        return Posted(False, "not a pull request: no comment posted")
    if not token or not repository:
        return Posted(False, "no comment posted: GITHUB_TOKEN or GITHUB_REPOSITORY is not set (input github-token)")
    head = pull.get("head", {}).get("repo") or {}
    from_fork = isinstance(head, dict) and head.get("full_name") not in (None, repository)
    api = environ.get("GITHUB_API_URL", DEFAULT_API).rstrip("/")
    http = session or requests.Session()
    http.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
    )
    http.trust_env = False
    issue = f"{api}/repos/{repository}/issues/{pull['number']}"
    try:
        existing = _find(http, f"{issue}/comments")
        text = body(summary_markdown)
        if existing is None:
            response = http.post(f"{issue}/comments", json={"body": text}, timeout=API_TIMEOUT_S)
            done = "posted a comment on"
        else:
            url = f"{api}/repos/{repository}/issues/comments/{existing}"
            response = http.patch(url, json={"body": text}, timeout=API_TIMEOUT_S)
            done = "updated its comment on"
        response.raise_for_status()
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in (401, 403, 404) and from_fork:
            why = "the pull request comes from a fork, whose token is read-only"
            return Posted(False, f"no comment posted: {why} (HTTP {status}); the job summary has the results")
        if status in (401, 403):
            why = "the token may not write to pull requests: give the job `permissions: pull-requests: write`"
            return Posted(False, f"no comment posted: {why} (HTTP {status})")
        return Posted(False, f"no comment posted: the GitHub API answered HTTP {status}")
    except (requests.RequestException, ValueError) as exc:
        return Posted(False, f"no comment posted: {type(exc).__name__}: {exc}")
    finally:
        if session is None:
            http.close()
    return Posted(True, f"{done} pull request #{pull['number']}")


def _event(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as event:
            data = json.load(event)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _find(http: requests.Session, url: str) -> int | None:
    """The id of the comment that carries the marker, or None (GitHub lists comments oldest first)."""
    for page in range(1, MAX_PAGES + 1):
        response = http.get(url, params={"per_page": PER_PAGE, "page": page}, timeout=API_TIMEOUT_S)
        response.raise_for_status()
        comments = response.json()
        for comment in comments:
            if isinstance(comment, dict) and MARKER in str(comment.get("body", "")):
                return int(comment["id"])
        if len(comments) < PER_PAGE:
            return None
    return None
