"""Shared fixtures: config files in tmp folders, and the guard that no server outlives its test."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
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
    described = []
    for process in left:
        with suppress(psutil.Error):
            described.append(" ".join(process.cmdline()))
        with suppress(psutil.Error):
            process.kill()
    assert not left, f"processes left running: {described}"


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


@dataclass(frozen=True)
class Checked:
    """What a user of `burstcheck run CONFIG --json REPORT` gets: exit code, output, report."""

    returncode: int
    output: str
    report: dict[str, Any]

    def results_by_mode(self) -> dict[str, dict[str, Any]]:
        return {r["mode"]: r for r in self.report["results"]}


def run_with_report(
    config: Path, report: Path, *, env: dict[str, str] | None = None, timeout_s: float = 120
) -> Checked:
    done = subprocess.run(
        burstcheck_argv("run", str(config), "--json", str(report)),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        env=env,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return Checked(done.returncode, done.stdout + done.stderr, data)
