"""Parent side of the burst client: runs `checker.run.burst_worker` in its own process and reads its timings.

This module never imports gevent or grequests (they would monkey-patch the orchestrating process).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from checker.config import Burst, Endpoint
from checker.errors import DeadlinePassed, RunError
from checker.run.machine_load import others_cpu_cores, sample_others
from checker.run.processes import managed_process
from checker.safe_text import quoted_tail
from checker.wire import PROGRESS_PREFIX, BurstJob, Measurement, WorkerOutput

# Slack on top of the worst case the job itself allows, for starting the worker and importing gevent.
WORKER_START_SLACK_S = 30.0
ERROR_TAIL_LINES = 10
KEPT_ERROR_LINES = 200
READER_JOIN_S = 5.0  # the worker has exited; its stderr's last bytes are in the pipe
Status = Callable[[str], None]
OUTPUT_SHOWN_BYTES = 200


def worker_deadline_s(burst: Burst) -> float:
    """Longest a worker may take: every sequential request and every burst timing out."""
    sequential = burst.calibration_requests
    return (sequential + 1 + burst.repeats) * burst.timeout + WORKER_START_SLACK_S  # 1: the warm-up burst


def worker_argv() -> list[str]:
    # Isolated mode: the user's working folder and PYTHONPATH cannot shadow the client's imports.
    return [sys.executable, "-I", "-m", "checker.run.burst_worker"]


def measure(
    base_url: str,
    endpoint: Endpoint,
    burst: Burst,
    budget_s: float | None = None,
    on_status: Status | None = None,
    warm_up: int = 1,
    *,
    worker: Sequence[str] | None = None,
) -> tuple[Measurement, int]:
    """Warm up, calibrate, then burst `endpoint`; returns the timings and the client's peak RSS in KiB.

    `budget_s` is what is left of the run's deadline; `on_status` hears what the worker is doing ("burst 2
    of 3"); `warm_up` is the size of the untimed burst that wakes every worker first; `worker` replaces the
    burst client's command (tests)."""
    job = BurstJob(
        url=base_url + endpoint.path,
        method=endpoint.method,
        headers=dict(endpoint.headers),
        body=endpoint.body,
        timeout_s=burst.timeout,
        calibration_requests=burst.calibration_requests,
        requests=burst.requests,
        repeats=burst.repeats,
        warm_up_requests=warm_up,
    )
    limit_s = worker_deadline_s(burst) if budget_s is None else min(budget_s, worker_deadline_s(burst))
    before = sample_others()
    errors = _StderrReader(on_status or (lambda text: None))
    with (
        errors,
        managed_process(
            worker or worker_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors.write_end
        ) as proc,
    ):
        errors.started()
        try:
            out, _ = proc.communicate(json.dumps(job.to_json()).encode(), timeout=limit_s)
        except subprocess.TimeoutExpired:
            if budget_s is not None and budget_s < worker_deadline_s(burst):
                raise DeadlinePassed("the run's deadline passed while the burst client was measuring") from None
            raise RunError(f"the burst client did not finish within {limit_s:.0f} s") from None
        if proc.returncode != 0:
            raise RunError(f"the burst client {_ended(proc.returncode)}:\n{errors.tail()}")
    others = others_cpu_cores(before, sample_others())
    try:
        output = WorkerOutput.from_json(json.loads(out))
    except (ValueError, TypeError, KeyError) as exc:
        shown = out[:OUTPUT_SHOWN_BYTES].decode(errors="replace") or "(nothing)"
        raise RunError(f"the burst client's output could not be read ({exc}); it wrote: {shown}") from None
    if output.timed_out is not None:
        raise RunError(
            f"{output.timed_out} got no complete answer within burst.timeout ({burst.timeout:g} s);"
            " measuring stopped there (the handler hangs, or needs a longer timeout)"
        )
    return replace(output.measurement, others_cpu_cores=others), output.client_peak_rss_kib


def _ended(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


class _StderrReader:
    """The worker's stderr, read as it comes: progress lines go to `on_status`, the rest is kept (its end)
    for the message should the worker fail."""

    def __init__(self, on_status: Status) -> None:
        self.on_status = on_status
        self.read_end, self.write_end = os.pipe()
        self.kept: collections.deque[bytes] = collections.deque(maxlen=KEPT_ERROR_LINES)
        self.thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> _StderrReader:
        return self

    def started(self) -> None:
        os.close(self.write_end)  # the child holds it now: end of file comes when the child's side closes
        self.write_end = -1
        self.thread.start()

    def _read(self) -> None:
        with os.fdopen(self.read_end, "rb") as stream:
            for line in stream:
                if line.startswith(PROGRESS_PREFIX.encode()):
                    self.on_status(line[len(PROGRESS_PREFIX) :].decode(errors="replace").strip())
                else:
                    self.kept.append(line)

    def tail(self) -> str:
        self.thread.join(timeout=READER_JOIN_S)
        return quoted_tail(b"".join(self.kept), ERROR_TAIL_LINES, "it wrote nothing on stderr")

    def __exit__(self, *exc: object) -> None:
        if self.write_end != -1:  # the child never started
            os.close(self.write_end)
            os.close(self.read_end)
        else:
            self.thread.join(timeout=READER_JOIN_S)
