"""Parent side of the burst client: runs `checker.burst_worker` in its own process and reads its timings.

This module never imports gevent or grequests (they would monkey-patch the orchestrating process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import replace

from checker.config import Burst, Endpoint
from checker.errors import RunError
from checker.machine import others_cpu_cores, sample_others
from checker.processes import managed_process
from checker.timings import BurstJob, Measurement, WorkerOutput

# Slack on top of the worst case the job itself allows, for starting the worker and importing gevent.
WORKER_START_SLACK_S = 30.0


def worker_deadline_s(burst: Burst) -> float:
    """Longest a worker may take: every sequential request and every burst timing out."""
    sequential = burst.calibration_requests + 1
    return (sequential + burst.repeats) * burst.timeout + WORKER_START_SLACK_S


def measure(base_url: str, endpoint: Endpoint, burst: Burst) -> tuple[Measurement, int]:
    """Calibrate then burst `endpoint`; returns the timings and the client's peak RSS in KiB."""
    job = BurstJob(
        url=base_url + endpoint.path,
        method=endpoint.method,
        headers=dict(endpoint.headers),
        body=endpoint.body,
        timeout_s=burst.timeout,
        calibration_requests=burst.calibration_requests,
        requests=burst.requests,
        repeats=burst.repeats,
    )
    # Isolated mode: the user's working folder and PYTHONPATH cannot shadow the client's imports.
    argv = [sys.executable, "-I", "-m", "checker.burst_worker"]
    before = sample_others()
    with (
        tempfile.TemporaryFile() as errors,
        managed_process(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors) as proc,
    ):
        try:
            out, _ = proc.communicate(json.dumps(job.to_json()).encode(), timeout=worker_deadline_s(burst))
        except subprocess.TimeoutExpired:
            raise RunError(f"the burst client did not finish within {worker_deadline_s(burst):.0f} s") from None
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-10:]
            raise RunError("the burst client failed:\n" + "\n".join(tail))
    others = others_cpu_cores(before, sample_others())
    output = WorkerOutput.from_json(json.loads(out))
    return replace(output.measurement, others_cpu_cores=others), output.client_peak_rss_kib
