"""The fault suite's report files (issue 19, item 11): a report is written whole or not at all, so a full disk
(here: a file size limit, which fails writes the same way) cannot leave half a report, or none, over a good one."""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

import pytest

from checker.errors import EXIT_CONFIG_ERROR
from tests.conftest import REPO, burstcheck_argv

pytestmark = pytest.mark.e2e  # runs the command line

FULL_AT_BYTES = 200  # every write past this offset fails (EFBIG), as on a full disk (ENOSPC)


def _disk_full_at_200_bytes() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_AT_BYTES, FULL_AT_BYTES))


def test_a_report_that_cannot_be_written_leaves_the_good_one_in_place(tmp_path: Path) -> None:
    config = tmp_path / "burstcheck.yaml"
    config.write_text("a: &a [*a]\n")
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    good = json.dumps({"verdict": "pass", "note": "yesterday's good report"})
    report.write_text(good)
    junit.write_text("<testsuites/>")
    done = subprocess.run(
        burstcheck_argv("run", str(config), "--json", str(report), "--junit", str(junit)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        preexec_fn=_disk_full_at_200_bytes,
    )
    assert done.returncode == EXIT_CONFIG_ERROR, done.stderr  # the verdict is not hidden by the failed write
    assert f"cannot write the JSON report to {report}" in done.stderr
    assert report.read_text() == good  # not truncated, not half-written
    assert junit.read_text() == "<testsuites/>"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_reports_are_still_written_to_special_files(tmp_path: Path) -> None:
    """/dev/stdout is written in place, not replaced (renaming over a device would replace the device)."""
    config = tmp_path / "burstcheck.yaml"
    config.write_text("a: &a [*a]\n")
    done = subprocess.run(
        burstcheck_argv("run", str(config), "--json", "/dev/stdout"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_CONFIG_ERROR
    assert json.loads(done.stdout)["ending"] == "config_error"
    assert Path("/dev/stdout").exists()
