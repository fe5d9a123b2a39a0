"""Every child process burstcheck starts goes through here, so that none outlives its context.

Each child runs under a guardian (checker/run/guardian.py) in its own session, and carries a unique token in its
environment. The guardian holds the read end of a lifeline, a pipe whose write end only this process holds: it
closes when burstcheck dies, however it dies (SIGKILL included, whichever thread started the child), and the
guardian then ends the tree. How the guardian finds its tree is the process path's (checker/run/process_path.py):
on Linux a child subreaper keeps every descendant below it, a daemon with an empty environment in a new session
included; elsewhere the process group, parentage and the token. Teardown asks the guardian, then falls back to
the process group and the token. It is not cut short by a second Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import psutil

from checker.errors import RunError
from checker.run import process_path
from checker.run.process_path import TOKEN_VARIABLE

# Tokens of the processes this run has alive now: what is not ours is the rest of the machine.
_ACTIVE_TOKENS: set[str] = set()
# A server gets this long to exit on SIGTERM (gunicorn's graceful shutdown needs a moment) before SIGKILL.
TERMINATE_GRACE_S = 5.0
# The guardian's own bookkeeping on top of the grace it gives the tree, before burstcheck stops waiting.
GUARDIAN_SLACK_S = 2.0
# Run by its path (never imported here): a script of the standard library only, beside this module.
GUARDIAN = Path(__file__).resolve().with_name("guardian.py")
# Signals whose death is a crash of the process itself, worth saying so.
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE}


def guardian_argv(argv: Sequence[str], lifeline: int) -> list[str]:
    """The guardian's command line: isolated (-I), and without site-packages where its path needs none."""
    path = process_path.choose()
    flags = ["-I"] if process_path.load(path).needs_site_packages else ["-I", "-S"]
    return [sys.executable, *flags, str(GUARDIAN), path, f"{TERMINATE_GRACE_S:g}", str(lifeline), *argv]


@contextmanager
def managed_process(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    cwd: str | None = None,
    measured: bool = True,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv` (an argument list, never a shell string) and end it and all its descendants on exit.

    `measured=False` is for load started beside a measurement (the accuracy benchmark's CPU hogs): it is
    torn down the same way, but counts as the rest of the machine, not as this run."""
    token = uuid.uuid4().hex
    child_env = dict(os.environ if env is None else env)
    child_env[TOKEN_VARIABLE] = token
    # The lifeline: the guardian reads one end; the other, which no other process inherits, closes when
    # burstcheck dies, however it dies.
    lifeline, held_end = os.pipe()
    try:
        proc = subprocess.Popen(
            guardian_argv(argv, lifeline),
            env=child_env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            start_new_session=True,
            pass_fds=(lifeline,),
        )
    except OSError as exc:  # the folder to run in is gone or unreadable
        os.close(held_end)
        raise RunError(f"cannot start {argv[0]!r} in {cwd or os.getcwd()}: {exc.strerror or exc}") from None
    finally:
        os.close(lifeline)
    if measured:
        _ACTIVE_TOKENS.add(token)
    try:
        yield proc
    finally:
        with _interrupts_deferred():
            try:
                end_process_tree(proc, token)
            finally:
                os.close(held_end)  # after the tree has ended: a closed lifeline means "burstcheck died"
        _ACTIVE_TOKENS.discard(token)


def active_tokens() -> frozenset[str]:
    """Tokens of the processes this run has started and not yet ended."""
    return frozenset(_ACTIVE_TOKENS)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while a teardown runs; they are delivered (and raise) right after it."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def end_process_tree(proc: subprocess.Popen[bytes], token: str, grace_s: float = TERMINATE_GRACE_S) -> None:
    """Ask the guardian to end its tree and wait; should it not exit, SIGKILL its process group. Then end
    whatever else still carries `token` (nothing, unless the guardian itself was killed)."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s + GUARDIAN_SLACK_S)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
    # Forked workers outlive their leader for a moment; daemons may have left the group entirely.
    leftovers = [p for p in processes_with_token(token) if p.pid != proc.pid]
    for leftover in leftovers:
        with suppress(psutil.Error):
            leftover.terminate()
    _, alive = psutil.wait_procs(leftovers, timeout=grace_s)
    for leftover in alive:
        with suppress(psutil.Error):
            leftover.kill()
    psutil.wait_procs(alive, timeout=grace_s)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def describe_exit(returncode: int) -> str:
    """How a process ended, in words: "exited with status 3", "was killed by SIGSEGV (it crashed)"."""
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        signum = signal.Signals(-returncode)
    except ValueError:
        return f"was killed by signal {-returncode}"
    return f"was killed by {signum.name}" + (" (it crashed)" if signum in CRASH_SIGNALS else "")


def _signal_group(pgid: int, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def processes_with_token(token: str) -> list[psutil.Process]:
    """Live processes that carry `token` (one managed process and its descendants), excluding this one."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with suppress(psutil.Error):
            value = process.environ().get(TOKEN_VARIABLE)
            if value == token and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found
