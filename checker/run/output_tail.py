"""A child's output, drained as it comes and kept only by its end: what messages quote (a traceback's last
lines) stays, and a chatty app (75 MB/s of logging) costs neither disk nor memory."""

from __future__ import annotations

import os
import threading
from types import TracebackType

# Far more than the 15 lines a message quotes, even of long lines; and the probe's one line of JSON.
KEPT_BYTES = 64 * 1024
READ_BYTES = 64 * 1024
# The child and its guardian have exited: the last bytes are already in the pipe.
DRAIN_WAIT_S = 5.0


class OutputTail:
    """A pipe for a child's stdout/stderr (`write_fd`, passed to the child) and a thread that reads it to its
    end, keeping the last KEPT_BYTES. Use as a context around the child's own context:

        with OutputTail() as output, managed_process(argv, stdout=output.write_fd, ...) as proc:
            output.started()
    """

    def __init__(self, kept_bytes: int = KEPT_BYTES) -> None:
        self.kept_bytes = kept_bytes
        self._read_fd, self.write_fd = os.pipe()
        self._kept = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name="output-tail", daemon=True)

    def __enter__(self) -> OutputTail:
        return self

    def started(self) -> None:
        """The child holds the write end now: this process closes its own, so the end of the output comes
        when the child's side closes."""
        os.close(self.write_fd)
        self.write_fd = -1
        self._thread.start()

    def _drain(self) -> None:
        # The thread owns the read end and closes it: closing it under a blocked read could hand the number
        # to another file meanwhile.
        try:
            while chunk := os.read(self._read_fd, READ_BYTES):
                with self._lock:
                    self._kept += chunk
                    if len(self._kept) > self.kept_bytes:
                        del self._kept[: len(self._kept) - self.kept_bytes]
        finally:
            os.close(self._read_fd)

    def text(self, *, finished: bool = False) -> bytes:
        """The output kept so far; with `finished` (the child has exited), after its last bytes arrived."""
        if finished and self._thread.is_alive():
            self._thread.join(DRAIN_WAIT_S)
        with self._lock:
            return bytes(self._kept)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.write_fd != -1:  # the child never started
            os.close(self.write_fd)
            os.close(self._read_fd)
            return
        # Every process that held the write end has been ended: the thread sees the end of the output. A daemon
        # that escaped every search would keep it open; the thread then ends with it, unwaited for.
        self._thread.join(DRAIN_WAIT_S)
