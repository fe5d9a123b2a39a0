"""An unexpected exception is a bug in burstcheck, not a mistake of the user's: its traceback goes to a log
file whose path is printed (as pre-commit does), and the run ends as "could not run" with its reports."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

from checker import __version__


def record(exc: BaseException) -> str:
    """Save `exc`'s traceback to a log file; return the one-line message that names the file."""
    text = "".join(traceback.format_exception(exc))
    try:
        # RUNNER_TEMP survives to the end of a GitHub job (an artifact step can pick the log up).
        fd, path = tempfile.mkstemp(
            prefix="burstcheck-internal-error-", suffix=".log", dir=os.environ.get("RUNNER_TEMP") or None
        )
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(f"burstcheck {__version__}, Python {sys.version.split()[0]}\nargv: {sys.argv}\n\n{text}")
        where = f"traceback in {path}"
    except OSError as error:
        where = f"the traceback could not be saved ({error}):\n{text}"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"internal error (a bug in burstcheck; please report it): {type(exc).__name__}: {first}; {where}"
