"""The runner through its `measure` seam: a real server (python -m http.server, started as a command mode)
so that boot and teardown are real, and hand-made measurements so that every path is chosen by the test."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from checker.config import Burst, Endpoint
from checker.config.load import LoadedConfig, load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_INTERRUPTED, RunError
from checker.results import RunReport
from checker.run.runner import _control, run_check
from checker.run.server import RunningServer
from checker.wire import Measurement, RequestTiming
from tests import timelines as tl
from tests.conftest import WriteConfig

pytestmark = pytest.mark.e2e  # boots real servers

COMMAND = (
    "app_dir: APPS\ncontrol_path: /healthz\nendpoints: [{path: /slow}]\n"
    "modes: [{name: c, server: command, command: 'serve {port}', expect: concurrent}]\n"
)
# A real server that answers any GET with 200 or 404, booted in a fraction of a second.
STATIC = f"""\
app_dir: APPS
burst: {{requests: 8}}
endpoints: [{{path: /a}}, {{path: /b}}, {{path: /c}}]
modes:
  - name: first
    server: command
    command: '{sys.executable} -m http.server --bind {{host}} {{port}}'
    expect: concurrent
  - name: second
    server: command
    command: '{sys.executable} -m http.server --bind {{host}} {{port}}'
    expect: concurrent
"""
HANDLER_S = 0.05
CONCURRENT = tl.measure(tl.thread_per_request(8, HANDLER_S), HANDLER_S)
SERIAL = tl.measure(tl.queue_in_app(8, HANDLER_S, k=1), HANDLER_S)

Measure = Callable[[str, Endpoint, Burst, float | None, Callable[[str], None]], tuple[Measurement, int]]


def scripted(
    *steps: Measurement | BaseException | Callable[[], Measurement], budgets: list[float | None] | None = None
) -> tuple[Measure, list[str]]:
    """A measure that plays `steps` in order (a measurement, an exception to raise, or a function to call)
    and records which endpoint each call measured (and, into `budgets`, the time each was given)."""
    asked: list[str] = []
    pending = list(steps)

    def measure(
        base_url: str,
        endpoint: Endpoint,
        burst: Burst,
        budget_s: float | None,
        status: Callable[[str], None],
        warm_up: int = 1,
    ) -> tuple[Measurement, int]:
        asked.append(endpoint.path)
        if budgets is not None:
            budgets.append(budget_s)
        step = pending.pop(0) if pending else CONCURRENT
        if isinstance(step, BaseException):
            raise step
        return (step() if callable(step) else step), 1000

    return measure, asked


def check(
    loaded: LoadedConfig, measure: Measure, deadline_s: float | None = None
) -> tuple[list[tuple[str, str, str]], RunReport]:
    report = run_check(loaded, loaded.config.modes, lambda line: None, measure=measure, deadline_s=deadline_s)
    return [(r.mode, r.endpoint, r.verdict) for r in report.results], report


def test_a_failing_control_path_is_a_run_error_with_the_count_and_first_error(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(COMMAND))
    refused = RequestTiming(sent_s=1.0, done_s=1.0, status=None, error="ConnectionError: refused")
    fine = RequestTiming(sent_s=1.0, done_s=1.01, status=200, error=None)
    control = Measurement(calibration=(fine, fine), bursts=((fine, refused, fine),))
    measure, asked = scripted(control)
    server = RunningServer("http://127.0.0.1:1", None, None)  # type: ignore[arg-type]
    with pytest.raises(RunError) as caught:
        _control(loaded, loaded.config.modes[0], server, lambda url, e, b: measure(url, e, b, None, print))
    assert asked == ["/healthz"]
    assert str(caught.value) == "control_path /healthz: 1 of 5 requests failed; first: ConnectionError: refused"


def test_every_endpoint_of_every_mode_is_measured_in_order(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))
    measure, asked = scripted()
    results, report = check(loaded, measure)
    assert asked == ["/a", "/b", "/c"] * 2
    assert [(m, e) for m, e, _ in results] == [(m, f"GET /{p}") for m in ("first", "second") for p in "abc"]
    assert {v for _, _, v in results} == {"pass"}
    assert report.exit_code == 0 and report.client_peak_rss_kib == 1000


def test_a_miss_is_measured_again_and_passes_when_the_second_measurement_does(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))
    measure, asked = scripted(SERIAL, CONCURRENT, SERIAL, SERIAL)
    results, report = check(loaded, measure)
    assert asked[:5] == ["/a", "/a", "/b", "/b", "/c"]
    assert results[:3] == [("first", "GET /a", "pass"), ("first", "GET /b", "fail"), ("first", "GET /c", "pass")]
    first, second = report.results[0], report.results[1]
    assert "(passed when measured again; the first measurement gave 1.0)" in first.reason
    assert "(measured twice; the first measurement gave 1.0)" in second.reason
    assert len(first.attempts) == 2 and len(second.attempts) == 2
    assert report.exit_code == EXIT_EXPECTATION_FAILED


def test_an_endpoint_that_cannot_be_measured_does_not_stop_the_others(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))
    measure, asked = scripted(CONCURRENT, RunError("calibration request 1 got no complete answer"))
    results, report = check(loaded, measure)
    assert asked == ["/a", "/b", "/c"] * 2
    assert results[:3] == [("first", "GET /a", "pass"), ("first", "GET /b", "error"), ("first", "GET /c", "pass")]
    assert report.results[1].reason == "calibration request 1 got no complete answer"
    assert report.exit_code == EXIT_COULD_NOT_RUN


def test_a_server_that_dies_part_way_ends_its_mode_and_the_next_mode_runs(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))

    def kill_the_server() -> Measurement:
        server = next(p for p in _children() if "http.server" in " ".join(p.cmdline()))
        server.kill()
        while server.status() != psutil.STATUS_ZOMBIE:  # dead, and left for its parent (the shield) to reap
            time.sleep(0.01)
        raise RunError("the burst client failed: connection refused")

    measure, asked = scripted(CONCURRENT, kill_the_server)
    results, report = check(loaded, measure)
    assert asked == ["/a", "/b", "/a", "/b", "/c"]
    assert results[:3] == [("first", "GET /a", "pass"), ("first", "GET /b", "error"), ("first", "GET /c", "error")]
    assert all(v == "pass" for m, _, v in results if m == "second")
    reason = report.results[1].reason
    assert reason.startswith("mode 'first': the server was killed by SIGKILL while measuring GET /b"), reason


def test_the_deadline_ends_the_run_with_what_it_measured(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))
    budgets: list[float | None] = []

    def slow() -> Measurement:
        time.sleep(0.6)
        return CONCURRENT

    measure, _ = scripted(*[slow] * 6, budgets=budgets)
    results, report = check(loaded, measure, deadline_s=1.5)
    assert budgets[0] is not None and 0 < budgets[0] <= 1.5
    measured = [r for r in results if r[2] == "pass"]
    assert 1 <= len(measured) <= 3, results
    assert len(results) == 6  # the rest is listed as not measured
    assert report.ending == "deadline" and report.exit_code == EXIT_COULD_NOT_RUN
    assert report.results[-1].reason == "not measured: the run's deadline (1.5 s, --deadline) passed"


def test_ctrl_c_keeps_the_results_so_far_and_stops_the_server(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(STATIC))
    measure, _ = scripted(CONCURRENT, SERIAL, SERIAL, KeyboardInterrupt())
    results, report = check(loaded, measure)
    assert results[:2] == [("first", "GET /a", "pass"), ("first", "GET /b", "fail")]
    assert {v for _, _, v in results[2:]} == {"error"} and len(results) == 6
    assert report.verdict == "fail" and report.exit_code == EXIT_INTERRUPTED
    assert not [p for p in _children() if "http.server" in " ".join(p.cmdline())]


def test_an_internal_error_is_logged_and_ends_the_run_as_could_not_run(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    loaded = load_config(write_config(STATIC))
    measure, _ = scripted(CONCURRENT, ZeroDivisionError("division by zero"))
    results, report = check(loaded, measure)
    assert results[0] == ("first", "GET /a", "pass")
    assert report.ending == "internal_error" and report.exit_code == EXIT_COULD_NOT_RUN
    problem = report.problem
    assert problem.startswith("internal error (a bug in burstcheck; please report it): ZeroDivisionError")
    log = Path(re.search(r"traceback in (\S+\.log)", problem).group(1))  # type: ignore[union-attr]
    assert log.parent == tmp_path and "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()


def _children() -> list[psutil.Process]:
    return psutil.Process(os.getpid()).children(recursive=True)
