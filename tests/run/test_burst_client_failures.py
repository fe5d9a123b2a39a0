"""The burst client's failure paths, with stand-in workers (real processes) that fail as told: each says
how it failed, and none leaves the run waiting."""

from __future__ import annotations

import sys
import time

import pytest

from checker.config import Burst, Endpoint
from checker.errors import DeadlinePassed, RunError
from checker.run import burst_client as requester
from checker.run.burst_client import measure

pytestmark = pytest.mark.e2e  # starts stand-in worker processes

TINY = Burst(requests=2, repeats=1, calibration_requests=1, timeout=0.2)


def _failing_worker(script: str) -> list[str]:
    return [sys.executable, "-c", f"import os, signal, sys, time\n{script}"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "sys.stderr.write('gevent exploded\\n'); sys.exit(2)",
            "the burst client exited with status 2:\n    | gevent exploded",
        ),
        ("sys.exit(1)", "the burst client exited with status 1:\n    (it wrote nothing on stderr)"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "the burst client was killed by SIGKILL:"),
        ("print('not json')", "the burst client's output could not be read (Expecting value"),
        ("print('{\"calibration\": []}')", "the burst client's output could not be read ('bursts')"),
        (
            'sys.stdin.read(); print(\'{"calibration": [], "bursts": [], "client_peak_rss_kib": 1,'
            ' "timed_out": "calibration request 1"}\')',
            "calibration request 1 got no complete answer within burst.timeout (0.2 s)",
        ),
    ],
    ids=["exit-2", "exit-1-silent", "sigkill", "not-json", "incomplete-json", "timed-out"],
)
def test_a_failing_burst_client_says_how_it_failed(script: str, message: str) -> None:
    with pytest.raises(RunError) as caught:
        measure("http://127.0.0.1:9", Endpoint(path="/"), TINY, worker=_failing_worker(script))
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_burst_client_past_its_time_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requester, "WORKER_START_SLACK_S", 0.3)
    started = time.monotonic()
    with pytest.raises(RunError, match=r"the burst client did not finish within 1 s"):
        measure("http://127.0.0.1:9", Endpoint(path="/"), TINY, worker=_failing_worker("time.sleep(60)"))
    with pytest.raises(DeadlinePassed, match="the run's deadline passed while the burst client was measuring"):
        measure("http://127.0.0.1:9", Endpoint(path="/"), TINY, 0.2, worker=_failing_worker("time.sleep(60)"))
    assert time.monotonic() - started < 15
