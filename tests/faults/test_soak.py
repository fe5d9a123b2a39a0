"""The soak (issue 19, item 16): consecutive runs of a three-mode config in one process grow nothing - open
file descriptors, threads, temporary files, processes left running. A short version here; the long one is
`python benchmarks/soak.py --runs 200`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "benchmarks" / "soak.py"
_spec = importlib.util.spec_from_file_location("burstcheck_soak", SCRIPT)  # a script, not a package's module
assert _spec is not None and _spec.loader is not None
soak = sys.modules["burstcheck_soak"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(soak)

SHORT_RUNS = 4
WARMUP_RUNS = 1


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_short_soak_grows_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", str(SHORT_RUNS), "--warmup", str(WARMUP_RUNS)],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=REPO,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and lines[-1] == {"runs": SHORT_RUNS, "grew": []}, done.stdout + done.stderr


def test_the_soak_notices_what_grows() -> None:
    def at(run: int, fds: int, left: int = 0) -> soak.Sample:
        return soak.Sample(run, 0, open_fds=fds, threads=1, temporary_files=0, processes_left=left, seconds=1.0)

    assert soak.grown([at(1, 5), at(2, 6), at(3, 6), at(4, 6)], warmup=1) == []
    assert soak.grown([at(1, 5), at(2, 6), at(3, 7), at(4, 8)], warmup=1) == ["open_fds: 6 after run 2, up to 8"]
    assert soak.grown([at(1, 6), at(2, 6, left=1)], warmup=1) == ["processes_left: 1 after run 2, up to 1"]
