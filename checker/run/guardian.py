"""The guardian: a small process between burstcheck and each child it starts, so that nothing below it
outlives it, however burstcheck ends.

    python -I [-S] guardian.py PATH GRACE_S LIFELINE_FD ARGV...

It runs ARGV below a shield - a fork of itself in a process group of its own, whose only job is to be ARGV's
parent and to exit as ARGV does - and relays ARGV's exit status. It ends the whole tree below it
- on SIGTERM (or SIGHUP): from burstcheck's teardown;
- when the lifeline closes: burstcheck holds its other end, so it closes when burstcheck dies, however it
  dies (SIGKILL, a second thread, anything); then with a short grace, as no one waits for a graceful exit;
- when the shield exits: ARGV exited, or the app killed its own parent - either way what it left goes too.
Ending means SIGTERM to every process of the tree, GRACE_S for them to exit, then SIGKILL until none is
left. Which processes are the tree is the process path's answer (checker/run/process_path.py: a child
subreaper on Linux; group, parentage and token elsewhere). No sigwaitinfo: signals reach the loop through a
wake-up pipe, so the loop can watch the lifeline and its signals together.

Run by its path, with the standard library only on the Linux path (no site-packages), so that it starts in
milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING or __name__ != "__main__":
    from checker.run import process_path
else:  # run by its path, without burstcheck's package: its one sibling module, from its own folder
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import process_path

# When burstcheck itself is gone nobody waits for a graceful exit: end the tree within a CI step's patience.
ORPHANED_GRACE_S = 1.0
EXIT_USAGE = 125
EXIT_NOT_FOUND = 127  # as a shell answers a command it cannot find
EXIT_NOT_EXECUTABLE = 126
WATCHED = (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _noted(signum: int, frame: FrameType | None) -> None:
    """The signal's number reaches the loop through the wake-up pipe; nothing to do here."""


def _reap(pids: dict[int, int]) -> None:
    """Collect every exited child (orphans re-parented here included) into `pids` (pid -> status)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        pids[pid] = status


def _exit_like(status: int) -> None:
    """Exit as the child did: the same code, or killed by the same signal (without a core file of our own)."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if signum != signal.SIGKILL:  # SIGKILL's handler cannot be set (and needs none)
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
        os.kill(os.getpid(), signum)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _shield(path: process_path.ProcessPath, argv: list[str]) -> None:
    """Runs in the forked shield: start ARGV and exit as it does. In a group of its own, so that an app that
    signals its whole group (or kills its parent) cannot reach the guardian; deaf to the signals the guardian
    sends the tree, which it must outlive until ARGV has exited."""
    os.setpgid(0, 0)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    app = os.fork()
    if app == 0:
        try:
            path.die_with_parent()
            for signum in WATCHED:
                signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(2, f"cannot start {argv[0]!r}: {exc.strerror or exc}\n".encode(errors="replace"))
            os._exit(EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE)
        finally:
            os._exit(EXIT_NOT_EXECUTABLE)
    while True:
        try:
            pid, status = os.waitpid(app, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == app:
            _exit_like(status)


class Guardian:
    """The guardian's state: its shield, what it has reaped (pid -> status), and whether burstcheck is gone."""

    def __init__(self, path: process_path.ProcessPath, grace_s: float, lifeline: int) -> None:
        self.path = path
        self.grace_s = grace_s
        self.lifeline = lifeline
        self.token = os.environ.get(process_path.TOKEN_VARIABLE, "")
        self.reaped: dict[int, int] = {}
        self.orphaned = False
        self.shield = 0
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        for signum in WATCHED:
            signal.signal(signum, _noted)
        signal.set_wakeup_fd(wake_write)

    def start(self, argv: list[str]) -> None:
        self.shield = os.fork()
        if self.shield == 0:
            signal.set_wakeup_fd(-1)
            os.close(self.wake_read)
            os.close(self.lifeline)
            try:
                _shield(self.path, argv)
            finally:
                os._exit(1)

    def tree(self) -> set[int]:
        return self.path.tree(os.getpid(), self.shield, self.token)

    def _wait(self, timeout_s: float | None) -> list[int]:
        """Wait for a signal or the lifeline (up to `timeout_s`); the signals that arrived."""
        watched = [self.wake_read] if self.orphaned else [self.wake_read, self.lifeline]
        readable, _, _ = select.select(watched, [], [], timeout_s)
        if self.lifeline in readable and not os.read(self.lifeline, 64):
            self.orphaned = True  # burstcheck is gone: every end of the pipe it held is closed
        signals = list(os.read(self.wake_read, 512)) if self.wake_read in readable else []
        _reap(self.reaped)
        return signals

    def run(self) -> int:
        while True:
            signals = self._wait(None)
            if self.shield in self.reaped:  # the app exited, or the shield was killed
                self.end_tree()
                _exit_like(self.reaped[self.shield])
            ended_by = next((s for s in signals if s in (signal.SIGTERM, signal.SIGHUP)), None)
            if ended_by is not None or self.orphaned:
                self.end_tree()
                if self.shield in self.reaped:
                    _exit_like(self.reaped[self.shield])
                return 128 + (ended_by or signal.SIGTERM)

    def end_tree(self) -> None:
        """SIGTERM to the tree (not the shield, which exits as its app does), the grace, then SIGKILL until
        nothing is left. Should burstcheck die meanwhile, the grace is cut to ORPHANED_GRACE_S."""
        started = time.monotonic()
        for pid in self.tree() - {self.shield}:
            self._signal(pid, signal.SIGTERM)
        while self.tree():
            grace_s = ORPHANED_GRACE_S if self.orphaned else self.grace_s
            left_s = started + grace_s - time.monotonic()
            if left_s <= 0:
                break
            self._wait(min(left_s, self.path.poll_s))
        while left := self.tree():  # a process forking meanwhile is found on the next pass
            for pid in left:
                self._signal(pid, signal.SIGKILL)
            time.sleep(self.path.poll_s)
            _reap(self.reaped)
        _reap(self.reaped)

    @staticmethod
    def _signal(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def main(argv: list[str]) -> int:
    if len(argv) < 5:
        print("usage: guardian.py PATH GRACE_S LIFELINE_FD ARGV...", file=sys.stderr)
        return EXIT_USAGE
    signal.pthread_sigmask(signal.SIG_SETMASK, set())  # burstcheck may have started it inside a teardown
    path = process_path.load(argv[1])
    guardian = Guardian(path, float(argv[2]), int(argv[3]))
    path.keep_orphans()
    guardian.start(argv[4:])
    return guardian.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
