"""The release workflow's scripts (.github/scripts) on small inputs: the release tag, the changelog's notes, the
checks of the built distributions, and the move of the Action's major tag against a stand-in for GitHub's API."""

from __future__ import annotations

import io
import json
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.loopback import serving

# The scripts import each other from their folder, as the runner runs them (`python .github/scripts/x.py`).
sys.path.insert(0, str(REPO / ".github" / "scripts"))
import changelog_notes
import check_dists
import move_major_tag
from release_tag import ReleaseError, parse


def test_a_release_tag_is_v_and_a_final_version() -> None:
    tag = parse("v1.2.3")
    assert (tag.version, tag.major_tag) == ("1.2.3", "v1")
    assert parse("v10.0.12").major_tag == "v10"
    for wrong in ("1.2.3", "v1.2", "v1.2.3rc1", "v01.2.3", "v1.2.3.4", "v1", "v1.2.3\n"):
        with pytest.raises(ReleaseError, match="is not a release tag"):
            parse(wrong)


CHANGELOG = """\
# Changelog

Intro text.

## [Unreleased]

- Something not released yet.

## [1.0.10] - 2026-12-24

- The tenth fix.

## [1.0.1] - 2026-12-01

### Fixed

- A fix whose line is wrapped
  for the file's width.
- Another fix, then a paragraph
that wraps too.

```yaml
rev: v1.0.1
  kept: as is
```

## [1.0.0] - 2026-11-30

The first release.

## [0.9.0]

- Never dated.

## [0.8.0] - someday

- Wrongly dated.

## [0.7.0] - 2026-01-01

[Unreleased]: https://github.com/OWNER/burstcheck/compare/v1.0.1...HEAD
[1.0.1]: https://github.com/OWNER/burstcheck/releases/tag/v1.0.1
"""


def test_the_notes_are_the_versions_section_with_its_wrapped_lines_joined() -> None:
    assert changelog_notes.section(CHANGELOG, "1.0.1") == (
        "### Fixed\n\n"
        "- A fix whose line is wrapped for the file's width.\n"
        "- Another fix, then a paragraph that wraps too.\n\n"
        "```yaml\nrev: v1.0.1\n  kept: as is\n```\n"
    )
    assert changelog_notes.section(CHANGELOG, "1.0.10") == "- The tenth fix.\n"  # not 1.0.1's, nor the reverse
    assert changelog_notes.section(CHANGELOG, "1.0.0") == "The first release.\n"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2.0.0", "CHANGELOG.md has no section for 2.0.0: move the Unreleased entries under `## [2.0.0] - YYYY-MM-DD`"),
        ("0.9.0", "CHANGELOG.md: 0.9.0 has no date: write its heading `## [0.9.0] - YYYY-MM-DD`"),
        ("0.8.0", "CHANGELOG.md: 'someday' is not a date (YYYY-MM-DD)"),
        ("0.7.0", "CHANGELOG.md: the section of 0.7.0 is empty: say what changed"),  # link definitions are no notes
    ],
)
def test_a_version_without_dated_notes_stops_the_release(version: str, message: str) -> None:
    with pytest.raises(ReleaseError) as raised:
        changelog_notes.section(CHANGELOG, version)
    assert str(raised.value) == message


def test_the_notes_command_prints_them_or_an_annotation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG)
    assert changelog_notes.main(["v1.0.0", "--changelog", str(changelog)]) == 0
    assert capsys.readouterr().out == "The first release.\n"
    assert changelog_notes.main(["v1.0.2", "--changelog", str(changelog)]) == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("::error title=changelog::CHANGELOG.md has no section for 1.0.2")


# --- the distributions -------------------------------------------------------------------------------------------

PACKAGE_FILES = {"checker/__init__.py": "__version__ = '1.0.0'\n", "checker/demo/burstcheck.yaml": "app: app:app\n"}
METADATA = "Metadata-Version: 2.4\nName: burstcheck\nVersion: {version}\nLicense-Expression: MIT\nLicense-File: LICENSE"
ENTRY_POINTS = "[console_scripts]\nburstcheck = checker.cli.main:main\n"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for name, text in PACKAGE_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "checker" / "__pycache__").mkdir()
    (root / "checker" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")  # made by running, not shipped
    return root


def write_dists(
    dist: Path, version: str = "1.0.0", *, leave_out: str = "", add: str = "", metadata: str = METADATA
) -> None:
    """A wheel and an sdist as setuptools writes them, `leave_out` one of their files or with one `add`ed."""
    dist.mkdir(exist_ok=True)
    info = f"burstcheck-{version}.dist-info"
    wheel_files = {
        **PACKAGE_FILES,
        f"{info}/METADATA": metadata.format(version=version),
        f"{info}/entry_points.txt": ENTRY_POINTS,
        f"{info}/licenses/LICENSE": "MIT License\n",
        f"{info}/RECORD": "",
    }
    with zipfile.ZipFile(dist / f"burstcheck-{version}-py3-none-any.whl", "w") as wheel:
        for name, text in wheel_files.items():
            if name != leave_out:
                wheel.writestr(name, text)
        if add:
            wheel.writestr(add, "")
    sdist_files = {
        **PACKAGE_FILES,
        "PKG-INFO": metadata.format(version=version),
        "LICENSE": "MIT License\n",
        "README.md": "# burstcheck\n",
        "CHANGELOG.md": CHANGELOG,
        "pyproject.toml": "",
    }
    with tarfile.open(dist / f"burstcheck-{version}.tar.gz", "w:gz") as sdist:
        for name, text in sdist_files.items():
            if name != leave_out:
                data = text.encode()
                member = tarfile.TarInfo(f"burstcheck-{version}/{name}")
                member.size = len(data)
                sdist.addfile(member, io.BytesIO(data))


def problem(tag: str, dist: Path, root: Path) -> str:
    with pytest.raises(ReleaseError) as raised:
        check_dists.check(tag, dist, root)
    return str(raised.value)


def test_distributions_as_setuptools_builds_them_pass(tmp_path: Path, checkout: Path) -> None:
    write_dists(tmp_path / "dist")
    assert [p.name for p in check_dists.check("v1.0.0", tmp_path / "dist", checkout)] == [
        "burstcheck-1.0.0-py3-none-any.whl",
        "burstcheck-1.0.0.tar.gz",
    ]


def test_a_tag_that_is_not_the_packages_version_is_not_published(tmp_path: Path, checkout: Path) -> None:
    write_dists(tmp_path / "dist", "1.0.0")
    assert problem("v1.0.1", tmp_path / "dist", checkout) == (
        "the tag v1.0.1 names version 1.0.1, but the package builds 1.0.0: set __version__ in checker/__init__.py "
        "and its CHANGELOG.md section, then tag that commit"
    )
    assert "is not a release tag" in problem("v1.0.1-beta", tmp_path / "dist", checkout)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"leave_out": "checker/demo/burstcheck.yaml"}, "lacks files of the package: checker/demo/burstcheck.yaml"),
        ({"leave_out": "burstcheck-1.0.0.dist-info/licenses/LICENSE"}, "lacks burstcheck-1.0.0.dist-info/licenses"),
        ({"add": "tests/conftest.py"}, "holds files outside the package: tests/conftest.py"),
        ({"metadata": METADATA.replace("MIT", "Apache-2.0")}, "License-Expression MIT and License-File LICENSE"),
        ({"metadata": METADATA.replace("Version: {version}", "Version: 0.1.0")}, "its metadata names burstcheck 0.1.0"),
        ({"leave_out": "CHANGELOG.md"}, "burstcheck-1.0.0.tar.gz lacks CHANGELOG.md"),
    ],
    ids=["package-data", "license-file", "stray-file", "license", "metadata-version", "sdist-changelog"],
)
def test_incomplete_distributions_are_not_published(
    tmp_path: Path, checkout: Path, change: dict[str, str], message: str
) -> None:
    write_dists(tmp_path / "dist", **change)
    assert message in problem("v1.0.0", tmp_path / "dist", checkout)


def test_the_dist_folder_holds_exactly_one_wheel_and_one_sdist(tmp_path: Path, checkout: Path) -> None:
    write_dists(tmp_path / "dist")
    (tmp_path / "dist" / "notes.md").write_text("")  # twine upload would refuse it, after the checks passed
    assert problem("v1.0.0", tmp_path / "dist", checkout).endswith(
        "should hold one wheel and one sdist, not: burstcheck-1.0.0-py3-none-any.whl, burstcheck-1.0.0.tar.gz, notes.md"
    )


def test_the_check_command_names_the_problem_as_an_annotation(
    tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dists(tmp_path / "dist", leave_out="checker/demo/burstcheck.yaml")
    assert check_dists.main(["v1.0.0", str(tmp_path / "dist"), "--root", str(checkout)]) == 1
    assert capsys.readouterr().err.startswith("::error title=distributions::burstcheck-1.0.0-py3-none-any.whl lacks")


# --- the major tag -------------------------------------------------------------------------------------------------

REPOSITORY = "acme/burstcheck"
# A history: c1 <- c2 <- c3 on main, and f1 on an older line's branch from c1.
PARENTS = {"c1": "", "c2": "c1", "c3": "c2", "f1": "c1"}


def ancestors(commit: str) -> list[str]:
    found = []
    while commit:
        found.append(commit)
        commit = PARENTS[commit]
    return found


class FakeRefs(ThreadingHTTPServer):
    """GitHub's git refs, tags and compare endpoints for one repository, on a free loopback port."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RefsHandler)
        self.tags: dict[str, dict[str, str]] = {}  # "v1" -> {"type": "commit" | "tag", "sha": ...}
        self.tag_objects: dict[str, str] = {}  # annotated tag object sha -> commit
        self.writes: list[tuple[str, str, dict[str, Any]]] = []
        self.refuse_writes = 0  # an HTTP status to answer writes with, e.g. 403 for a read-only token
        self.tokens: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RefsHandler(BaseHTTPRequestHandler):
    server: FakeRefs

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.tokens.add(self.headers.get("Authorization", ""))
        path = self.path.removeprefix(f"/repos/{REPOSITORY}/")
        if path.startswith("git/ref/tags/"):
            target = self.server.tags.get(path.removeprefix("git/ref/tags/"))
            self.answer(200, {"object": target}) if target else self.answer(404, {"message": "Not Found"})
        elif path.startswith("git/tags/"):
            commit = self.server.tag_objects[path.removeprefix("git/tags/")]
            self.answer(200, {"object": {"type": "commit", "sha": commit}})
        elif path.startswith("compare/"):
            base, head = path.removeprefix("compare/").split("...")
            if base == head:
                status = "identical"
            elif base in ancestors(head):
                status = "ahead"
            elif head in ancestors(base):
                status = "behind"
            else:
                status = "diverged"
            self.answer(200, {"status": status})
        else:
            self.answer(404, {"message": "Not Found"})

    def write(self, method: str) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.removeprefix(f"/repos/{REPOSITORY}/")
        if self.server.refuse_writes:
            self.answer(self.server.refuse_writes, {"message": "Resource not accessible by integration"})
            return
        self.server.writes.append((method, path, body))
        name = body["ref"].removeprefix("refs/tags/") if method == "POST" else path.removeprefix("git/refs/tags/")
        self.server.tags[name] = {"type": "commit", "sha": body["sha"]}
        self.answer(201 if method == "POST" else 200, {"ref": f"refs/tags/{name}"})

    def do_POST(self) -> None:
        self.write("POST")

    def do_PATCH(self) -> None:
        self.write("PATCH")


@pytest.fixture
def api() -> Iterator[FakeRefs]:
    with serving(FakeRefs()) as server:
        yield server


def github(api: FakeRefs) -> move_major_tag.GitHub:
    return move_major_tag.GitHub(api.url, REPOSITORY, "t0ken")


def test_the_first_release_creates_the_major_tag(api: FakeRefs) -> None:
    assert move_major_tag.move(github(api), "v1.0.0", "c1") == "created v1 at c1 (v1.0.0)"
    assert api.writes == [("POST", "git/refs", {"ref": "refs/tags/v1", "sha": "c1"})]
    assert api.tokens == {"Bearer t0ken"}


def test_a_newer_release_moves_it_forward(api: FakeRefs) -> None:
    api.tags["v1"] = {"type": "commit", "sha": "c1"}
    assert move_major_tag.move(github(api), "v1.1.0", "c3") == "moved v1 to c3 (v1.1.0)"
    assert api.writes == [("PATCH", "git/refs/tags/v1", {"sha": "c3", "force": True})]
    assert api.tags["v1"]["sha"] == "c3"


def test_an_annotated_major_tag_is_compared_by_its_commit(api: FakeRefs) -> None:
    api.tags["v1"] = {"type": "tag", "sha": "t9"}
    api.tag_objects["t9"] = "c2"
    assert move_major_tag.move(github(api), "v1.2.0", "c3") == "moved v1 to c3 (v1.2.0)"


@pytest.mark.parametrize(("at", "sha", "status"), [("c3", "c2", "behind"), ("c3", "f1", "diverged")])
def test_a_release_of_an_older_line_leaves_the_major_tag(api: FakeRefs, at: str, sha: str, status: str) -> None:
    api.tags["v1"] = {"type": "commit", "sha": at}
    said = move_major_tag.move(github(api), "v1.0.5", sha)
    assert said == f"left v1 at {at}: v1.0.5 ({sha}) is not ahead of it ({status}): a release of an older line?"
    assert api.writes == [] and api.tags["v1"]["sha"] == at


def test_a_rerun_changes_nothing(api: FakeRefs) -> None:
    api.tags["v2"] = {"type": "commit", "sha": "c3"}
    assert move_major_tag.move(github(api), "v2.0.0", "c3") == "v2 already points at c3 (v2.0.0)"
    assert api.writes == []


def test_a_refused_write_fails_the_step_with_githubs_answer(
    api: FakeRefs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api.refuse_writes = 403
    for name, value in {
        "GITHUB_API_URL": api.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SHA": "c1",
        "GITHUB_TOKEN": "t0ken",
    }.items():
        monkeypatch.setenv(name, value)
    assert move_major_tag.main(["v1.0.0"]) == 1
    refused = '{"message": "Resource not accessible by integration"}'
    assert capsys.readouterr().err.strip() == f"::error title=major tag::POST git/refs: GitHub answered 403 {refused}"
    monkeypatch.delenv("GITHUB_TOKEN")
    assert move_major_tag.main(["v1.0.0"]) == 2
    assert "GITHUB_TOKEN not set" in capsys.readouterr().err
