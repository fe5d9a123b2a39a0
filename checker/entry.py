"""The program's entry point (the `burstcheck` script and `python -m checker`). Ctrl-C and SIGTERM are
handled from its first moment: arriving while the modules below are still being imported, they end the
program with 130/143 and one line, not a KeyboardInterrupt traceback."""

from __future__ import annotations

import signal
import sys
from types import FrameType

EXIT_INTERRUPTED = 130  # as in checker.errors, which is not imported yet
EXIT_TERMINATED = 143


def _stop_early(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the rest of a storm of Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("burstcheck: interrupted before it started", file=sys.stderr)
    raise SystemExit(EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED)


def main() -> int:
    signal.signal(signal.SIGINT, _stop_early)
    signal.signal(signal.SIGTERM, _stop_early)
    from checker import cli

    return cli.main()
