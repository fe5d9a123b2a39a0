"""The fault suite's usage errors (issue 19, item 5): a command line argparse refuses still writes every report
it asked for - the files, and in GitHub Actions the job summary and the step outputs - and exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.errors import EXIT_CONFIG_ERROR
from tests.conftest import REPO, burstcheck_argv
from tests.integrations.test_action import parse_github_output

pytestmark = pytest.mark.e2e  # runs the command line


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "cfg.yaml", "--deadline", "abc"], "argument --deadline: not a number of seconds: 'abc'"),
        (["run", "cfg.yaml", "--quik"], "unrecognized arguments: --quik"),
        (["run", "--modes"], "argument --modes: expected one argument"),
        (["merge"], "the following arguments are required: REPORT"),
    ],
    ids=["bad-value", "typo", "missing-value", "missing-argument"],
)
def test_a_usage_error_writes_every_report_it_asked_for(tmp_path: Path, args: list[str], said: str) -> None:
    out = tmp_path / "out"
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    # Reports asked for before and after the mistake, in both spellings (--json PATH, --junit=PATH).
    argv = [
        args[0],
        "--json",
        str(out / "r.json"),
        *args[1:],
        f"--junit={out / 'j.xml'}",
        "--html",
        str(out / "r.html"),
    ]
    done = subprocess.run(
        burstcheck_argv(*argv), capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, **github}
    )
    assert done.returncode == EXIT_CONFIG_ERROR, done.stderr
    assert done.stderr.startswith("usage: burstcheck"), done.stderr  # argparse's usage, as ever
    assert said in done.stderr and "Traceback" not in done.stderr
    report = json.loads((out / "r.json").read_text())
    assert report["ending"] == "config_error" and report["verdict"] == "error"
    assert said in report["problem"]
    junit = ET.parse(out / "j.xml").getroot()
    assert junit.get("errors") == "1"
    assert (out / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert summary.read_text().startswith("## burstcheck: ⚠️ error")
    assert parse_github_output(output.read_text())["verdict"] == "error"


def test_a_usage_error_of_a_command_without_reports_writes_none(tmp_path: Path) -> None:
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    done = subprocess.run(
        burstcheck_argv("compare", "only-one.json"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, **github},
    )
    assert done.returncode == EXIT_CONFIG_ERROR
    assert "the following arguments are required: new" in done.stderr
    assert not (tmp_path / "summary.md").exists()
