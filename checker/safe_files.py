"""Files from outside (a config, a baseline report) read defensively, and reports written so that a failed write
never costs the good copy: a FIFO that nobody writes to cannot hang a run, /dev/zero cannot fill memory, and a
full disk cannot leave a 0-byte report over yesterday's."""

from __future__ import annotations

import os
import select
import stat
import time
import uuid
from pathlib import Path

READ_BYTES = 64 * 1024


def read_bounded(path: Path, limit: int, timeout_s: float | None = None) -> bytes:
    """At most `limit` bytes of `path`, whatever it is (a file, a FIFO, /dev/zero). TimeoutError when nothing
    more comes within `timeout_s` of the start (None: wait as long as it takes)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    # Non-blocking: opening a FIFO would wait for a writer, and reading it for data, past any deadline.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)  # a file on disk never keeps a read waiting
        data = bytearray()
        while len(data) < limit:
            wait_s = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not regular and not select.select([fd], [], [], wait_s)[0]:
                raise TimeoutError(f"nothing more to read from {path} within {timeout_s:g} s")
            try:
                chunk = os.read(fd, min(READ_BYTES, limit - len(data)))
            except BlockingIOError:
                continue
            if not chunk:
                break
            data += chunk
        return bytes(data)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` as a whole or not at all: to a new file beside it, then renamed over it, so that
    a reader (or a full disk) never sees half a report. Paths that are not regular files (/dev/stdout, a FIFO)
    are written in place: renaming over them would replace the device, not write to it."""
    try:
        existing: int | None = path.stat().st_mode  # through a symlink, to what it names
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing):
        with path.open("w", encoding="utf-8") as out:
            out.write(text)
        return
    target = path.resolve() if existing is not None and path.is_symlink() else path  # the file, not the link
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        # 0o666: the umask applies, as to any new file; a report replaced keeps the mode it had.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if existing is not None:
            os.chmod(temporary, stat.S_IMODE(existing))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
