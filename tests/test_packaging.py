"""What a release publishes agrees with itself: the version has its changelog section, the classifiers are
PyPI's and name the Pythons that CI tests, the license is the one the metadata declares, and the README and
docs point at this version's tags."""

from __future__ import annotations

import re
import sys
from typing import Any

import trove_classifiers
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (the test extra installs the backport there)
    import tomli as tomllib

from checker import __version__
from tests.conftest import REPO

sys.path.insert(0, str(REPO / ".github" / "scripts"))  # the release workflow's scripts, as it runs them
import changelog_notes

PROJECT: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PYTHON_CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)")


def ci_jobs() -> dict[str, Any]:
    return yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())["jobs"]  # type: ignore[no-any-return]


def test_the_version_has_a_dated_changelog_section() -> None:
    notes = changelog_notes.section((REPO / "CHANGELOG.md").read_text(), __version__)
    assert notes.strip()
    assert "## [Unreleased]" in (REPO / "CHANGELOG.md").read_text()  # where the next changes are written


def test_every_classifier_is_one_pypi_accepts() -> None:
    assert [c for c in PROJECT["classifiers"] if c not in trove_classifiers.classifiers] == []


def test_ci_tests_every_python_the_metadata_names_and_macos() -> None:
    named = [m[1] for c in PROJECT["classifiers"] if (m := PYTHON_CLASSIFIER.fullmatch(c))]
    matrix = ci_jobs()["test"]["strategy"]["matrix"]
    assert matrix["python"] == named == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    assert PROJECT["requires-python"] == f">={named[0]}"
    assert matrix["os"] == ["ubuntu-latest"]
    assert {"os": "macos-latest", "python": named[-1]} in matrix["include"]
    assert ci_jobs()["test"]["steps"][-1]["run"] == "bash .ci/run"  # the README's test command, on each


def test_the_license_file_is_the_declared_one() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")


def test_readme_and_docs_point_at_this_versions_tags() -> None:
    """The hook's `rev:` is this release's tag and the Action's `@v` is its major tag, wherever they are shown."""
    major = __version__.split(".")[0]
    pages = [REPO / "README.md", REPO / "docs" / "pre-commit.md", REPO / "docs" / "github-actions.md"]
    revs, majors = set(), set()
    for page in pages:
        text = page.read_text()
        revs.update(re.findall(r"rev: (v[\d.]+)", text))
        majors.update(re.findall(r"uses: OWNER/burstcheck@(v\d+)\b", text))
    assert revs == {f"v{__version__}"}
    assert majors == {f"v{major}"}


def test_dependabot_proposes_one_weekly_pull_request_per_ecosystem() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    for update in updates.values():
        assert update["directory"] == "/" and update["schedule"]["interval"] == "weekly"
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]]  # everything, in one group
