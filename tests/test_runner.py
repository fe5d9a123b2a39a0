"""The runner on hand-made measurements through its `measure` seam: no servers started."""

from __future__ import annotations

import pytest

from checker.config import Burst, Endpoint
from checker.config_file import load_config
from checker.errors import RunError
from checker.runner import _control
from checker.servers import RunningServer
from checker.timings import Measurement, RequestTiming
from tests.conftest import WriteConfig

COMMAND = (
    "app_dir: APPS\ncontrol_path: /healthz\nendpoints: [{path: /slow}]\n"
    "modes: [{name: c, server: command, command: 'serve {port}', expect: concurrent}]\n"
)


def test_a_failing_control_path_is_a_run_error_with_the_count_and_first_error(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(COMMAND))
    refused = RequestTiming(sent_s=1.0, done_s=1.0, status=None, error="ConnectionError: refused")
    fine = RequestTiming(sent_s=1.0, done_s=1.01, status=200, error=None)
    asked: list[str] = []

    def measure(base_url: str, endpoint: Endpoint, burst: Burst) -> tuple[Measurement, int]:
        asked.append(endpoint.path)
        return Measurement(calibration=(fine, fine), bursts=((fine, refused, fine),)), 0

    with pytest.raises(RunError) as caught:
        _control(loaded, loaded.config.modes[0], RunningServer("http://127.0.0.1:1", 1), measure)
    assert asked == ["/healthz"]
    assert str(caught.value) == "control_path /healthz: 1 of 5 requests failed; first: ConnectionError: refused"
