"""The burst client against a real server, and the rule that gevent stays out of the orchestrator."""

from __future__ import annotations

import subprocess
import sys

import pytest

from checker.config import Burst, Endpoint, WerkzeugMode
from checker.run.burst_client import measure
from checker.run.server import running_server
from tests.conftest import APPS, REPO, WriteConfig

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

SLEEP_S = 0.2


def test_burst_records_every_request_sent_together() -> None:
    mode = WerkzeugMode(name="threaded", threaded=True, expect={"min_concurrency": 2})  # type: ignore[arg-type]
    endpoint = Endpoint(path=f"/slow?seconds={SLEEP_S}")
    burst = Burst(requests=6, repeats=2, calibration_requests=2, timeout=10)
    with running_server(mode, app="sleepy:app", app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, peak_rss_kib = measure(server.base_url, endpoint, burst)
    assert len(measurement.calibration) == 2
    assert [len(b) for b in measurement.bursts] == [6, 6]
    for timing in (*measurement.calibration, *measurement.bursts[0], *measurement.bursts[1]):
        assert timing.status == 200 and timing.error is None
        assert timing.latency_s >= SLEEP_S
    sends = [t.sent_s for t in measurement.bursts[0]]
    # "simultaneous": all six started within a fraction of one request's latency
    assert max(sends) - min(sends) < SLEEP_S / 2
    assert peak_rss_kib > 0


def test_a_refused_connection_is_recorded_not_raised() -> None:
    from checker.run.server import free_port

    endpoint = Endpoint(path="/slow")
    measurement, _ = measure(f"http://127.0.0.1:{free_port()}", endpoint, Burst(requests=3, repeats=1, timeout=5))
    assert all(t.error and "ConnectionError" in t.error for t in measurement.bursts[0])
    assert all(t.status is None for t in measurement.calibration)


def test_the_orchestrating_process_never_imports_gevent(write_config: WriteConfig) -> None:
    path = write_config(
        "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/slow?seconds=0.05'}]\n"
        "burst: {requests: 4, repeats: 1, calibration_requests: 1}\n"
        "modes: [{name: t, threaded: true, expect: {min_concurrency: 1}}]\n"
    )
    script = (
        "import sys\nfrom checker.cli.main import main\n"
        f"code = main(['run', {str(path)!r}, '--quiet'])\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('gevent', 'grequests'))\n"
        "print('LEAKED', leaked)\nsys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LEAKED []" in done.stdout
