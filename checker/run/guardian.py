"""The guardian: a small process between burstcheck and each child it starts, so that nothing below it
outlives it, however burstcheck ends.

    python -I -S guardian.py GRACE_S ARGV...

It makes itself a child subreaper (Linux): a daemon that double-forks, leaves the process group, starts a new
session or empties its environment is re-parented to the guardian instead of to init, so the guardian can
always find and end it. It runs ARGV and relays its exit status. It ends the whole tree below it
- on SIGTERM: from burstcheck's teardown, or from the kernel when burstcheck dies (even by SIGKILL: the
  guardian's parent-death signal), then with a short grace, as no one is waiting for a graceful exit;
- when ARGV's process exits: whatever it left behind goes with it.
Ending means SIGTERM to every descendant, GRACE_S for them to exit, then SIGKILL until none is left.

Run by its path with the standard library only (no site-packages), so that it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PR_SET_CHILD_SUBREAPER = 36
# When burstcheck itself is gone nobody waits for a graceful exit: end the tree within a CI step's patience.
ORPHANED_GRACE_S = 1.0
POLL_S = 0.02
EXIT_USAGE = 125

_libc = ctypes.CDLL(None, use_errno=True)


def _children_of() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process on the machine (read from /proc)."""
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if fields[0] != b"Z":  # a zombie is dead already; reaping it is all that is left
            tree.setdefault(int(fields[1]), []).append(int(name))
    return tree


def descendants() -> list[int]:
    tree = _children_of()
    found, pending = [], [os.getpid()]
    while pending:
        for child in tree.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _reap() -> list[tuple[int, int]]:
    """Collect every exited child (orphans re-parented here included): [(pid, status)]."""
    reaped: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append((pid, status))


def _signal_all(signum: int) -> bool:
    """Send `signum` to every live descendant; False when there is none."""
    pids = descendants()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)
    return bool(pids)


def end_tree(grace_s: float) -> None:
    if not _signal_all(signal.SIGTERM):
        _reap()
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        _reap()
        if not descendants():
            return
        time.sleep(POLL_S)
    while _signal_all(signal.SIGKILL):  # a process forking meanwhile is found on the next pass
        time.sleep(POLL_S)
        _reap()
    _reap()


def _exit_like(status: int) -> None:
    """Exit as the child did: the same code, or killed by the same signal."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum != signal.SIGKILL:  # SIGKILL's handler cannot be set (and needs none)
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
        os.kill(os.getpid(), signum)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _child_setup() -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, set())  # the guardian's blocked signals are not the child's
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # should the guardian itself be killed outright


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: guardian.py GRACE_S ARGV...", file=sys.stderr)
        return EXIT_USAGE
    grace_s = float(argv[1])
    parent = os.getppid()
    watched = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        child = subprocess.Popen(argv[2:], preexec_fn=_child_setup, close_fds=False)
    except OSError as exc:
        print(f"cannot start {argv[2]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126
    while True:
        info = signal.sigwaitinfo(watched)
        if info.si_signo == signal.SIGCHLD:
            for pid, status in _reap():
                if pid == child.pid:
                    end_tree(grace_s)
                    _exit_like(status)
            continue
        if info.si_signo == signal.SIGINT:
            continue  # Ctrl-C is burstcheck's to handle; it ends this tree through SIGTERM
        orphaned = os.getppid() != parent
        end_tree(ORPHANED_GRACE_S if orphaned else grace_s)
        for pid, status in _reap():
            if pid == child.pid:
                _exit_like(status)
        child.returncode = 0  # reaped already; keeps Popen's destructor quiet
        return 128 + info.si_signo


if __name__ == "__main__":
    sys.exit(main(sys.argv))
