"""The project's own static checks, so that CI enforces them: ruff (lint and format) and mypy --strict."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "checker", "tests", "benchmarks"],
        ["ruff", "format", "--check", "checker", "tests", "benchmarks"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_static_checks_pass(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
