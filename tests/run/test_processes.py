"""Process teardown: every descendant of a managed process is gone when its context ends, or within seconds
of burstcheck being killed outright - daemons that left the group, the session and the environment too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from checker.run.process_path import TOKEN_VARIABLE
from checker.run.processes import TERMINATE_GRACE_S, active_tokens, managed_process
from tests.conftest import our_processes, running, skip_without_tokens, still_running

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("process_path")]  # real process trees, on both paths

# A parent with a child in its group, a grandchild in a session of its own, and a daemon that double-forks
# into a new session, with an empty environment (argv[1] "empty": no token to find it by) or its own ("kept");
# it prints every pid.
ESCAPER = """
import json, os, subprocess, sys, time
ENV = {} if sys.argv[1] == "empty" else None
SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]
pids = [subprocess.Popen(SLEEP).pid, subprocess.Popen(SLEEP, start_new_session=True).pid]
read, write = os.pipe()
if os.fork() == 0:  # the classic daemon: fork, setsid, fork again, parent exits; the daemon is orphaned
    os.setsid()
    daemon = subprocess.Popen(SLEEP, env=ENV, start_new_session=True)
    os.write(write, str(daemon.pid).encode())
    os._exit(0)
pids.append(int(os.read(read, 32)))
print(json.dumps(pids), flush=True)
time.sleep(120)
"""
LEFTOVER_DEADLINE_S = 3.0  # the target: nothing left 3 s after burstcheck is gone


def daemon_env(process_path: str) -> str:
    """Linux's subreaper keeps even a daemon with an empty environment below the guardian; on the portable path
    such a daemon has nothing to be found by (docs/cli.md), so there it keeps its environment and its token."""
    return "empty" if process_path == "linux" else "kept"


def test_group_session_and_emptied_environment_descendants_are_ended(process_path: str) -> None:
    skip_without_tokens(process_path)
    argv = [sys.executable, "-c", ESCAPER, daemon_env(process_path)]
    with managed_process(argv, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        pids = json.loads(proc.stdout.readline())
        assert len(pids) == 3 and all(running(p) for p in pids)
        below = pids[2] in [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        if process_path == "linux":
            assert psutil.Process(pids[2]).environ() == {}  # the daemon carries no token
            assert below  # kept below the guardian, its subreaper
        else:
            assert not below  # orphaned to init: only its token is left to find it by
    assert not still_running(pids, 0.5)


def test_teardown_runs_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError), managed_process([sys.executable, "-c", "import time; time.sleep(60)"]) as proc:
        family = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
        raise RuntimeError("boom")
    assert not still_running(family, 0.5)


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    with managed_process([sys.executable, "-c", stubborn], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        child = psutil.Process(proc.pid).children()[0]
        started = time.monotonic()
    took = time.monotonic() - started
    assert not running(child.pid)
    assert TERMINATE_GRACE_S * 0.9 <= took < TERMINATE_GRACE_S + 10  # it had its grace, then SIGKILL


def test_the_childs_exit_status_is_relayed() -> None:
    with managed_process([sys.executable, "-c", "raise SystemExit(7)"]) as proc:
        assert proc.wait(10) == 7
    with managed_process([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"]) as proc:
        assert proc.wait(10) == -signal.SIGKILL
    with managed_process(["no-such-program-anywhere"], stderr=subprocess.PIPE) as proc:
        assert proc.wait(10) == 127
        assert proc.stderr is not None and b"cannot start 'no-such-program-anywhere'" in proc.stderr.read()


# burstcheck's stand-in: starts ESCAPER (and a SIGTERM-ignoring child) under managed_process, then waits to
# be killed outright; no Python code of it runs after SIGKILL.
KILLED_PARENT = """
import subprocess, sys
from checker.run.processes import managed_process

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
with managed_process([sys.executable, "-c", *sys.argv[1:]], stdout=subprocess.PIPE) as escaper, \\
        managed_process([sys.executable, "-c", STUBBORN]):
    print(escaper.stdout.readline().decode().strip(), flush=True)
    sys.stdin.read()
"""


def test_nothing_survives_a_sigkilled_parent(process_path: str) -> None:
    skip_without_tokens(process_path)
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT, ESCAPER, daemon_env(process_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        family = {p.pid for p in psutil.Process(parent.pid).children(recursive=True)} | set(pids)
        assert len(family) >= 7  # 2 guardians and their shields, escaper, 3 of its own, stubborn
        parent.kill()
        parent.wait(10)
        alive = still_running(sorted(family), LEFTOVER_DEADLINE_S)
        assert not alive, [" ".join(psutil.Process(p).cmdline()) for p in alive if running(p)]
    finally:
        parent.kill()
        parent.wait()
        for pid in [p.pid for p in our_processes()]:
            os.kill(pid, signal.SIGKILL)


def test_load_beside_a_measurement_counts_as_the_rest_of_the_machine() -> None:
    from checker.run.machine_load import sample_others

    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    with managed_process(sleeper, measured=False) as load, managed_process(sleeper) as own:
        # Until it has exec'd, a child's environment in /proc is still its parent's, without the run's token.
        deadline = time.monotonic() + 10
        while psutil.Process(own.pid).environ().get(TOKEN_VARIABLE) not in active_tokens():
            assert time.monotonic() < deadline, "the measured process never showed the run's token"
            time.sleep(0.01)
        counted = {pid for pid, _ in sample_others().others_cpu_s}
        assert load.pid in counted  # the rest of the machine
        assert own.pid not in counted  # a process of this run
