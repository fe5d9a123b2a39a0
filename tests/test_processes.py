"""Process teardown: the group, and descendants that escaped it, are gone when the context ends."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from checker.processes import managed_process
from tests.conftest import our_processes

# A parent that forks a child into the group and a grandchild into a session of its own (like a daemon).
ESCAPER = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
print("started", flush=True)
time.sleep(120)
"""


def test_group_and_escaped_descendants_are_ended() -> None:
    with managed_process([sys.executable, "-c", ESCAPER], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"started"
        deadline = time.monotonic() + 10
        while len(psutil.Process(proc.pid).children(recursive=True)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        assert len(family) == 3
        assert len(our_processes()) == 3
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive and len(gone) == 3


def test_teardown_runs_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError), managed_process([sys.executable, "-c", "import time; time.sleep(60)"]) as proc:
        pid = proc.pid
        raise RuntimeError("boom")
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_process_that_ignores_sigterm_is_killed() -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    started = time.monotonic()
    with managed_process([sys.executable, "-c", stubborn], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    assert proc.returncode == -9
    assert time.monotonic() - started < 30


def test_load_beside_a_measurement_counts_as_the_rest_of_the_machine() -> None:
    from checker.machine import sample_others

    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    with managed_process(sleeper, measured=False) as load, managed_process(sleeper) as own:
        counted = {pid for pid, _ in sample_others().others_cpu_s}
        assert load.pid in counted  # the rest of the machine
        assert own.pid not in counted  # a process of this run
