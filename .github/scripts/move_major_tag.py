"""Point the Action's major tag (`v1`) at the commit just released, through GitHub's REST API.

    GITHUB_TOKEN=... python .github/scripts/move_major_tag.py v1.2.3

`uses: OWNER/burstcheck@v1` then runs the newest 1.x release. The tag only moves forward: when the release is
not ahead of where `v1` points (a fix released on an older line, a re-run), `v1` stays where it is and this
says why. The runner's GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_SHA say where and what; the token needs
`contents: write`, and reaches this step alone, through its environment (no credentials are left on disk)."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from release_tag import ReleaseError, parse

TIMEOUT_S = 30  # one API call; the runner's job timeout bounds the rest
ENVIRONMENT = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_TOKEN")
MOVES_FORWARD = {"ahead"}  # compare/{tagged}...{sha}: the release's commit descends from the tagged one


@dataclass(frozen=True)
class GitHub:
    api_url: str
    repository: str
    token: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The answer's JSON, or None for 404 (no such ref); any other failure is a ReleaseError."""
        request = urllib.request.Request(
            f"{self.api_url}/repos/{self.repository}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                return json.loads(answer.read() or b"{}")  # type: ignore[no-any-return]
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET":
                return None
            detail = error.read().decode(errors="replace")[:300]
            raise ReleaseError(f"{method} {path}: GitHub answered {error.code} {detail}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise ReleaseError(f"{method} {path}: {error}") from None


def commit_of(github: GitHub, ref: dict[str, Any]) -> str:
    """The commit a tag ref points at: itself for a lightweight tag, the tagged commit for an annotated one."""
    target = ref["object"]
    while target["type"] == "tag":
        target = (github.call("GET", f"git/tags/{target['sha']}") or {})["object"]
    return str(target["sha"])


def move(github: GitHub, tag: str, sha: str) -> str:
    """Create or move the major tag of `tag` to `sha`; what was done, in words."""
    major = parse(tag).major_tag
    ref = github.call("GET", f"git/ref/tags/{major}")
    if ref is None:
        github.call("POST", "git/refs", {"ref": f"refs/tags/{major}", "sha": sha})
        return f"created {major} at {sha} ({tag})"
    current = commit_of(github, ref)
    if current == sha:
        return f"{major} already points at {sha} ({tag})"
    status = (github.call("GET", f"compare/{current}...{sha}") or {}).get("status")
    if status not in MOVES_FORWARD:
        return f"left {major} at {current}: {tag} ({sha}) is not ahead of it ({status}): a release of an older line?"
    github.call("PATCH", f"git/refs/tags/{major}", {"sha": sha, "force": True})
    return f"moved {major} to {sha} ({tag})"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: move_major_tag.py TAG (e.g. v1.2.3)", file=sys.stderr)
        return 2
    missing = [name for name in ENVIRONMENT if not os.environ.get(name)]
    if missing:
        print(f"::error title=major tag::{', '.join(missing)} not set (by the runner and the step)", file=sys.stderr)
        return 2
    github = GitHub(os.environ["GITHUB_API_URL"], os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_TOKEN"])
    try:
        print(move(github, args[0], os.environ["GITHUB_SHA"]))
    except (ReleaseError, KeyError, TypeError) as error:  # KeyError, TypeError: an answer of another shape
        print(f"::error title=major tag::{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
