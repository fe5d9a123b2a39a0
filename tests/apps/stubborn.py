"""Reference app whose process ignores SIGTERM, so that stopping its server takes the full grace period."""

import signal

from sleepy import app  # noqa: F401  (the app this module serves)

signal.signal(signal.SIGTERM, signal.SIG_IGN)
