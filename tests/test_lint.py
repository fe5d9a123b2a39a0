"""The project's own static checks, so that CI enforces them: ruff (lint and format), mypy --strict, and
vermin: the server entry runs inside the app's interpreter, which may be as old as Python 3.9."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e  # runs ruff, mypy and vermin


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "checker", "tests", "benchmarks", "docs", ".github/scripts"],
        ["ruff", "format", "--check", "checker", "tests", "benchmarks", "docs", ".github/scripts"],
        ["mypy"],
        ["vermin", "--target=3.9-", "--violations", "--no-tips", "checker/app_server/"],
    ],
    ids=["ruff-check", "ruff-format", "mypy", "vermin-3.9"],
)
def test_static_checks_pass(argv: list[str]) -> None:
    # vermin has no `python -m` entry: run its script from beside this interpreter (the test extra installs it).
    command = (
        [str(Path(sys.executable).parent / argv[0]), *argv[1:]]
        if argv[0] == "vermin"
        else [sys.executable, "-m", *argv]
    )
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
