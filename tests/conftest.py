"""Shared fixtures: config files in tmp folders, and the guard that no server outlives its test."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checker.processes import processes_with_token

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
APPS = TESTS / "apps"
LEFTOVER_GRACE_S = 3.0


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """Every test must end every server and worker it started, whether it passed or failed."""
    assert not processes_with_token(), "a burstcheck process was already running before this test"
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while (left := processes_with_token()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for process in left:
        process.kill()
    assert not left, f"processes left running: {[' '.join(p.cmdline()) for p in left]}"


WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write YAML text to a config file whose app_dir is tests/apps."""

    def write(text: str) -> Path:
        path = tmp_path / "burstcheck.yaml"
        path.write_text(text.replace("APPS", str(APPS)), encoding="utf-8")
        return path

    return write


def burstcheck_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "checker", *args]
