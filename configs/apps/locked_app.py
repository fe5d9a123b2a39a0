"""Example app for configs/global-lock.yaml: a handler that holds one process-wide lock while it works.

However many threads the server gives it, requests run one after another.
"""

from __future__ import annotations

import threading
import time

from flask import Flask

app = Flask(__name__)
REPORT_LOCK = threading.Lock()


@app.get("/report")
def report() -> dict[str, str]:
    with REPORT_LOCK:  # the bug burstcheck catches: a global lock around slow work
        time.sleep(0.1)
    return {"status": "ok"}
