"""The README and the docs say what is true of this checkout: the site builds strictly (a broken link, a
missing anchor, a page outside the table of contents fails), the README's links lead somewhere, and it opens
with the two commands that `.ci/run` and a newcomer use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")
# The README holds what a newcomer needs on a screen or two; the rest is in docs/.
README_MAX_LINES = 250


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and MyST make it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    in_code, found = False, set()
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


@pytest.mark.e2e
def test_the_docs_build_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html", "docs", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "how-it-measures.html").is_file()


def test_every_link_of_the_readme_leads_somewhere() -> None:
    for target in LINK.findall(README.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        page = (REPO / path) if path else README
        assert page.exists(), f"README links to {target}, which does not exist"
        if anchor:
            assert anchor in anchors(page), f"README links to {target}: no such heading in {path}"


def test_the_readme_opens_with_the_two_commands_that_ci_runs() -> None:
    text = README.read_text()
    first_block = text.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(first_block) == 2
    install_and_demo, tests = first_block
    assert install_and_demo.endswith("burstcheck demo") and "'.[test]'" in tests
    _, runs_pytest, options = tests.partition(" -m pytest")
    assert runs_pytest and not any(o.startswith(("-m", "-k", "tests")) for o in options.split())  # the whole suite
    ci = subprocess.run(["bash", str(REPO / ".ci" / "run"), "--print"], capture_output=True, text=True, timeout=30)
    assert ci.stdout.strip() == tests  # what CI runs is what the README tells users
    assert len(text.splitlines()) < README_MAX_LINES
