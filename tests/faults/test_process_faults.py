"""The fault suite's process cases (issue 19, items 1-3 and 7): whatever burstcheck is doing when it ends - checking
the app's interpreter, reading its config, tearing a server down - and however it ends (SIGKILL, SIGTERM, a
deadline, a second thread, an app that kills its own guardian), nothing it started is left running and the
time it takes is bounded. Every case runs on both process paths (Linux's and the portable one, tests/conftest.py)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest

from checker.errors import EXIT_CONFIG_ERROR, EXIT_COULD_NOT_RUN, EXIT_TERMINATED
from checker.run.process_path import VARIABLE
from checker.run.processes import managed_process
from tests.conftest import APPS, REPO, burstcheck_argv, running, skip_without_tokens, still_running
from tests.faults.test_faults import assert_reported, cli

pytestmark = pytest.mark.e2e  # starts process trees and kills them

LEFTOVER_DEADLINE_S = 3.0  # the README's promise: nothing left 3 s after burstcheck is gone
# A generous bound for a run whose --deadline is a few seconds: its teardown and reports on a loaded machine.
DEADLINE_SLACK_S = 12.0
APP = "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/?seconds=0.05'}]\n"
THREADED = "modes: [{name: threaded, threaded: true, expect: concurrent}]\n"


def hanging_interpreter(folder: Path) -> tuple[Path, Path]:
    """A `python:` that is a shell wrapper whose Python hangs (both write their pid to a file): (wrapper, pids)."""
    pids = folder / "interpreter-pids"
    wrapper = folder / "python"
    hang = f"import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(300)"
    wrapper.write_text(f'#!/bin/sh\necho $$ >> "{pids}"\n"{sys.executable}" -c "{hang}"\n')
    wrapper.chmod(0o755)
    return wrapper, pids


def wait_for_lines(path: Path, count: int, within_s: float = 30) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if path.exists() and len(lines := path.read_text().split()) >= count:
            return [int(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"{path} never had {count} lines")


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("signum", "path"),
    [(signal.SIGKILL, "linux"), (signal.SIGKILL, "portable"), (signal.SIGTERM, "linux")],
    ids=["sigkill-linux", "sigkill-portable", "sigterm-linux"],
)
def test_the_interpreter_check_is_ended_with_burstcheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, path: str
) -> None:
    """Item 1: the check of the app's interpreter runs below the guardian like every other child."""
    monkeypatch.setenv(VARIABLE, path)
    wrapper, pid_file = hanging_interpreter(tmp_path)
    config = tmp_path / "burstcheck.yaml"
    config.write_text((APP + f"python: {wrapper}\n" + THREADED).replace("APPS", str(APPS)))
    report = tmp_path / "report.json"
    proc = subprocess.Popen(
        burstcheck_argv("run", str(config), "--json", str(report)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pids: list[int] = []
    try:
        pids = wait_for_lines(pid_file, 2)  # the wrapper and its hanging Python
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        alive = still_running(pids, LEFTOVER_DEADLINE_S)
        assert not alive, [" ".join(psutil.Process(p).cmdline()) for p in alive if running(p)]
        if signum == signal.SIGTERM:
            assert proc.returncode == EXIT_TERMINATED, err
            assert json.loads(report.read_text())["verdict"] == "interrupted"
    finally:
        proc.kill()
        proc.wait()
        kill_all(pids)


def test_the_deadline_bounds_a_hanging_interpreter_check(tmp_path: Path) -> None:
    """Item 2: --deadline 3 ends the run within seconds of 3 s, not at the check's own 30 s timeout."""
    wrapper, pid_file = hanging_interpreter(tmp_path)
    try:
        outcome = cli(tmp_path, APP + f"python: {wrapper}\n" + THREADED, "--deadline", "3")
        assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stderr
        assert outcome.message.startswith("burstcheck: the run's deadline (3 s, --deadline) passed"), outcome.stderr
        assert_reported(outcome, "error")
        assert outcome.seconds < 3 + DEADLINE_SLACK_S
        assert not still_running(wait_for_lines(pid_file, 2), LEFTOVER_DEADLINE_S)
    finally:
        kill_all([int(pid) for pid in pid_file.read_text().split()] if pid_file.exists() else [])


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "burstcheck.yaml"
    os.mkfifo(path)
    yield path


def test_a_fifo_as_the_config_is_bounded_by_the_deadline(tmp_path: Path, fifo: Path) -> None:
    """Item 2: reading the config cannot block past --deadline (a FIFO that nobody writes)."""
    outcome = cli(tmp_path, None, "--deadline", "2", timeout_s=60)
    assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stderr
    assert outcome.message.startswith("burstcheck: the run's deadline (2 s, --deadline) passed"), outcome.stderr
    assert "reading the config" in outcome.message
    assert_reported(outcome, "error")
    assert outcome.seconds < 2 + DEADLINE_SLACK_S


def _address_space_limit() -> None:
    # A config read whole before its size is checked would take every byte of memory: stop it at 2 GiB.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_dev_zero_as_the_config_is_refused_by_its_size(tmp_path: Path) -> None:
    """Item 7: at most MAX_CONFIG_BYTES + 1 bytes are read, whatever the file is."""
    report = tmp_path / "report.json"
    started = time.monotonic()
    done = subprocess.run(
        burstcheck_argv("run", "/dev/zero", "--json", str(report)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        preexec_fn=_address_space_limit,
    )
    assert done.returncode == EXIT_CONFIG_ERROR, done.stderr
    assert "the config is larger than 1000000 bytes" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert json.loads(report.read_text())["ending"] == "config_error"
    assert time.monotonic() - started < 30


# --- the guardian, whatever happens to its parent or to itself ---------------------------------------------

STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"
)

# burstcheck's stand-in: a second thread, a child that ignores SIGTERM, then waits to be killed outright. With
# `teardown` on stdin it leaves the context first (its guardian then gives the child its grace), and is killed
# during that teardown.
PARENT = """
import subprocess, sys, threading, time
from checker.run.process_path import VARIABLE
from checker.run.processes import managed_process

threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
with managed_process([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE) as child:
    print(child.stdout.readline().decode().strip(), flush=True)
    if sys.stdin.readline().strip() != "teardown":
        time.sleep(600)
print("done", flush=True)
"""


def tree_of(pid: int) -> list[int]:
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


@pytest.mark.parametrize("when", ["running", "tearing-down"])
def test_nothing_survives_a_killed_parent_with_a_second_thread(process_path: str, when: str) -> None:
    """Item 3: the guardian watches burstcheck itself (a pipe that closes when it dies), not the thread that
    started it; and it is still watching while it gives a child its grace."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, STUBBORN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO
    )
    family: list[int] = []
    try:
        assert parent.stdout is not None and parent.stdin is not None
        assert parent.stdout.readline().strip() == b"ready"
        family = tree_of(parent.pid)
        if when == "tearing-down":
            parent.stdin.write(b"teardown\n")
            parent.stdin.flush()
            time.sleep(0.5)  # the child ignores the SIGTERM: its guardian is in the grace
        parent.kill()
        parent.wait(10)
        alive = still_running(family, LEFTOVER_DEADLINE_S)
        assert not alive, [" ".join(psutil.Process(p).cmdline()) for p in alive if running(p)]
    finally:
        parent.kill()
        parent.wait()
        kill_all(family)


def test_a_child_started_from_a_thread_that_ended_keeps_running(process_path: str) -> None:
    """Item 3: Linux's parent-death signal follows the thread that forked, not the process; the guardian's
    watch (a pipe that closes when burstcheck dies) does not end a child because the thread that started it
    ended."""
    started: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        sleeper = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(120)"]
        thread = threading.Thread(
            target=lambda: started.append(stack.enter_context(managed_process(sleeper, stdout=subprocess.PIPE)))
        )
        thread.start()
        thread.join(60)
        (proc,) = started
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(1.0)
        assert proc.poll() is None, f"the child ended with the thread that started it ({proc.returncode})"


# An app that starts a daemon (a new session; with no environment where the process path can find it without)
# and then SIGKILLs the process that started it.
HOSTILE = """
import os, signal, subprocess, sys, time
env = {} if sys.argv[1] == "empty" else None
daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=env, start_new_session=True)
print(daemon.pid, flush=True)
os.kill(os.getppid(), signal.SIGKILL)
time.sleep(120)
"""


def test_an_app_that_kills_its_own_guardian_leaves_nothing(process_path: str) -> None:
    """Item 3, the hostile case: the tree is still ended, the daemon included. On the portable path the daemon
    keeps its environment: with neither a subreaper nor a token, nothing could find it (docs/cli.md)."""
    skip_without_tokens(process_path)
    env_kind = "empty" if process_path == "linux" else "kept"
    daemon = 0
    try:
        with managed_process([sys.executable, "-c", HOSTILE, env_kind], stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            daemon = int(proc.stdout.readline())
            assert running(daemon)
            proc.wait(30)  # the guardian saw its part killed and ended the tree
        assert not still_running([daemon], LEFTOVER_DEADLINE_S)
    finally:
        kill_all([daemon] if daemon else [])
