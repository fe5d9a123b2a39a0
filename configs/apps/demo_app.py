"""Example app for configs/demo.yaml: the demo's endpoint that sleeps, so concurrency shows as wall time saved.

The same app as burstcheck's bundled demo (checker/demo/app.py), beside its config: a job that runs this config
needs Flask (configs/apps/requirements.txt), not burstcheck's own package.
"""

from __future__ import annotations

import time

from flask import Flask, request

app = Flask(__name__)

DEFAULT_SLEEP_S = 0.1


@app.get("/slow")
def slow() -> dict[str, float]:
    seconds = float(request.args.get("seconds", DEFAULT_SLEEP_S))
    time.sleep(seconds)
    return {"slept_s": seconds}
