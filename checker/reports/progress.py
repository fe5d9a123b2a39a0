"""Progress on stderr while a run goes on. On a terminal, one live line (mode, phase, burst i of n, time
elapsed) redraws in place, and the lines that matter (a mode starting, each result) stay above it. Anywhere
else (CI logs, pipes) only those lines are printed, as plain lines."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from checker.safe_text import printable

REDRAW_S = 0.25
CLEAR_LINE = "\r\x1b[2K"


class Progress:
    def __init__(self, stream: TextIO = sys.stderr, *, quiet: bool = False, live: bool | None = None) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = (stream.isatty() if live is None else live) and not quiet
        self.started = time.monotonic()
        self.status_text = ""
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def line(self, text: str) -> None:
        """A line that stays: printed above the live line."""
        if self.quiet:
            return
        with self.lock:
            prefix = CLEAR_LINE if self.live else ""
            self.stream.write(f"{prefix}{printable(text)}\n")
            self._draw()
            self.stream.flush()

    def status(self, text: str) -> None:
        """What the run is doing now: redrawn in place on a terminal, dropped elsewhere."""
        if not self.live:
            return
        with self.lock:
            self.status_text = text
            self._draw()
            self.stream.flush()
        if self.ticker is None:  # the elapsed time keeps moving while a burst runs
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def close(self) -> None:
        """Clear the live line before the report is printed."""
        self.stop.set()
        if self.ticker is not None:
            self.ticker.join(timeout=1)
        if self.live:
            with self.lock:
                self.stream.write(CLEAR_LINE)
                self.stream.flush()

    def _draw(self) -> None:
        if self.live and self.status_text:
            elapsed = time.monotonic() - self.started
            width = 100
            self.stream.write(f"{CLEAR_LINE}{printable(self.status_text)[:width]} · {elapsed:.1f} s")

    def _tick(self) -> None:
        while not self.stop.wait(REDRAW_S):
            with self.lock:
                self._draw()
                self.stream.flush()
