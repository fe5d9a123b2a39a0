"""Files from outside (a config, a baseline report) read defensively, and reports written so that a failed write
never costs the good copy: a FIFO that nobody writes to cannot hang a run, /dev/zero cannot fill memory, and a
full disk cannot leave a 0-byte report over yesterday's."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

READ_BYTES = 64 * 1024


def read_bounded(path: Path, limit: int, timeout_s: float | None = None) -> bytes:
    """At most `limit` bytes of `path`, whatever it is (a file, a FIFO, /dev/zero). TimeoutError when nothing
    more comes within `timeout_s` of the start (None: wait as long as it takes)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    # Non-blocking: opening a FIFO would wait for a writer, and reading it for data, past any deadline.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        data = bytearray()
        while len(data) < limit:
            wait_s = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait_s)[0]:
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
