"""How this machine keeps a process tree together: every OS-specific call of the guardian is here.

- The Linux path: the guardian is a child subreaper (prctl), so a daemon that double-forks, starts a new session
  and empties its environment is re-parented to it and found in /proc; the app dies with its parent
  (the parent-death signal).
- The portable path (macOS, and any POSIX system without those calls): no subreaper, so the guardian finds the
  tree by parentage, by process group and by the token in each process's environment (psutil); a daemon that
  leaves the process group is found by its token, where the OS lets one process read another's environment.

The portable path is chosen where the Linux calls are missing, and can be chosen anywhere with
BURSTCHECK_PROCESS_PATH=portable, so that it runs in the tests on Linux too. Standard library only at import
time: the guardian imports this module without site-packages on the Linux path.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping
from typing import Protocol

# Set to "portable" (or "linux") to choose the path; unset, the machine decides.
VARIABLE = "BURSTCHECK_PROCESS_PATH"
# Environment variable that marks every process started for burstcheck, and its descendants.
TOKEN_VARIABLE = "BURSTCHECK_PROCESS_TOKEN"
LINUX = "linux"
PORTABLE = "portable"

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PR_SET_CHILD_SUBREAPER = 36


class ProcessPath(Protocol):
    name: str
    # How often the guardian looks at its tree while it waits for it to end: a /proc scan is cheap, a scan of
    # every process's group and environment is not.
    poll_s: float
    # Whether the guardian needs site-packages (psutil) to find its tree.
    needs_site_packages: bool

    def keep_orphans(self) -> None:
        """Make descendants that lose their parent come to this process (where the OS can)."""

    def die_with_parent(self) -> None:
        """In a freshly forked child: be killed when the parent dies (where the OS can)."""

    def tree(self, root: int, group: int, token: str) -> set[int]:
        """Live processes of the tree: descendants of `root`, members of process group `group`, carriers of
        `token` (zombies and this process excluded)."""


class LinuxPath:
    name = LINUX
    poll_s = 0.02
    needs_site_packages = False

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)

    def keep_orphans(self) -> None:
        self._libc.prctl(PR_SET_CHILD_SUBREAPER, 1)

    def die_with_parent(self) -> None:
        parent = os.getppid()
        self._libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    def tree(self, root: int, group: int, token: str) -> set[int]:
        # As a subreaper the root keeps every orphan below it: parentage (and the group) finds the whole tree.
        children: dict[int, list[int]] = {}
        found: set[int] = set()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if fields[0] == b"Z":  # a zombie is dead already; reaping it is all that is left
                continue
            pid = int(name)
            children.setdefault(int(fields[1]), []).append(pid)
            if int(fields[2]) == group and pid != root:
                found.add(pid)
        pending = [root]
        while pending:
            for child in children.get(pending.pop(), []):
                found.add(child)
                pending.append(child)
        return found


class PortablePath:
    name = PORTABLE
    poll_s = 0.1
    needs_site_packages = True

    def keep_orphans(self) -> None:
        """No subreaper: an orphan goes to init, and is found by its group or its token instead."""

    def die_with_parent(self) -> None:
        """No parent-death signal: the guardian ends the tree when the process between it and the app dies."""

    def tree(self, root: int, group: int, token: str) -> set[int]:
        import psutil  # site-packages: only on this path

        found: set[int] = set()
        with contextlib.suppress(psutil.Error):
            found.update(child.pid for child in psutil.Process(root).children(recursive=True))
        for process in psutil.process_iter():
            if process.pid in (root, os.getpid()) or process.pid in found:
                continue
            with contextlib.suppress(psutil.Error, OSError):
                if os.getpgid(process.pid) == group or process.environ().get(TOKEN_VARIABLE) == token:
                    found.add(process.pid)
        alive = set()
        for pid in found:
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.add(pid)
        return alive


def linux_calls_available() -> bool:
    return sys.platform.startswith("linux") and os.path.isdir("/proc/self")


def choose(environ: Mapping[str, str] = os.environ) -> str:
    """The path to take: BURSTCHECK_PROCESS_PATH when set, else Linux's where its calls exist."""
    wanted = environ.get(VARIABLE, "").strip().lower()
    if wanted == PORTABLE or not linux_calls_available():
        return PORTABLE
    return LINUX


def load(name: str) -> ProcessPath:
    return LinuxPath() if name == LINUX else PortablePath()
