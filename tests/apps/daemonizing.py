"""Reference app that is hard to clean up after: its server ignores SIGTERM, and on import it starts a daemon
in a new session with an empty environment (no token to find it by; with DAEMON_KEEPS_ENV=1 it keeps its
environment, as the portable process path needs to find it). Each daemon's pid is appended to the file named
by DAEMON_PID_FILE, so that a test can look for it."""

import os
import signal
import subprocess
import sys

from sleepy import app  # noqa: F401  (the app this module serves)

signal.signal(signal.SIGTERM, signal.SIG_IGN)
_daemon = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(300)"],
    env=None if os.environ.get("DAEMON_KEEPS_ENV") == "1" else {},
    start_new_session=True,
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
with open(os.environ["DAEMON_PID_FILE"], "a") as pids:
    pids.write(f"{_daemon.pid}\n")
