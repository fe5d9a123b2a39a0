"""Booting modes for real on loopback: ready, port races, import failures, servers that never answer."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import psutil
import pytest
import requests

from checker.config import Endpoint, WerkzeugMode
from checker.errors import RunError
from checker.run.server import HOST, free_port, running_server
from tests.conftest import APPS, WriteConfig, run_with_report

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

PROBE = Endpoint(path="/slow?seconds=0")


def mode(**fields: object) -> WerkzeugMode:
    return WerkzeugMode.model_validate({"name": "m", "expect": "serialized", **fields})


def test_server_answers_on_loopback_and_is_gone_afterwards() -> None:
    with running_server(mode(threaded=True), app="sleepy:app", app_dir=APPS, probe=PROBE, boot_timeout_s=20) as server:
        assert server.base_url.startswith(f"http://{HOST}:")
        assert requests.get(server.base_url + "/slow?seconds=0", timeout=5).text == "slept\n"
        pid = server.pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(requests.ConnectionError):
        requests.get(server.base_url + "/slow?seconds=0", timeout=5)


def test_forked_children_are_ended_too() -> None:
    with running_server(mode(processes=3), app="sleepy:app", app_dir=APPS, probe=PROBE, boot_timeout_s=20) as server:
        # A slow request keeps a forked child alive while the server is torn down.
        session = requests.Session()
        with contextlib.suppress(requests.Timeout):
            session.get(server.base_url + "/slow?seconds=30", timeout=0.5)
        assert psutil.Process(server.pid).children()
    # the autouse fixture asserts that no process carrying the token is left


def test_a_taken_port_is_retried_on_another(taken_port: int) -> None:
    ports = iter([taken_port, free_port()])
    with running_server(
        mode(), app="sleepy:app", app_dir=APPS, probe=PROBE, boot_timeout_s=20, choose_port=lambda: next(ports)
    ) as server:
        assert not server.base_url.endswith(f":{taken_port}")
        assert requests.get(server.base_url + "/slow?seconds=0", timeout=5).status_code == 200


def test_an_app_that_fails_to_import_shows_its_exception() -> None:
    with pytest.raises(RunError) as caught:
        with running_server(mode(), app="broken:app", app_dir=APPS, probe=PROBE, boot_timeout_s=20):
            pytest.fail("must not get ready")
    message = str(caught.value)
    assert message.startswith("mode 'm': could not import the app 'broken:app': RuntimeError: database URL")
    assert 'broken.py", line 3' in message  # the app's own traceback


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    with pytest.raises(RunError, match=r"did not answer GET /slow\?seconds=0 within 1.5 s"):
        with running_server(mode(), app="slow_start:app", app_dir=APPS, probe=PROBE, boot_timeout_s=1.5):
            pytest.fail("must not get ready")


def test_a_command_server_gets_client_side_figures_only(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        "app_dir: APPS\nendpoints: [{path: '/slow?seconds=0.15'}]\n"
        "burst: {requests: 6, repeats: 1, calibration_requests: 2}\n"
        "modes:\n  - name: one-thread\n    server: command\n"
        "    command: '{python} -m waitress --host={host} --port={port} --threads=1 sleepy:app'\n"
        "    expect: serialized\n"
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    result = checked.report["results"][0]
    assert result["server"].startswith("command: ") and result["server_figures"] is None
    assert result["diagnosis"].startswith("requests ran one after another (client-side figures only")
    assert "n/a" in checked.output


def test_inject_delay_makes_a_fast_endpoints_server_queue_visible(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/slow?seconds=0'}]\ninject_delay_ms: 150\n"
        "burst: {requests: 6, repeats: 1, calibration_requests: 2}\n"
        "modes:\n"
        "  - {name: serial, expect: serialized}\n"
        "  - {name: pool, server: waitress, threads: 2, expect: {min_concurrency: 1.5, max_concurrency: 2.6}}\n"
        "  - {name: direct, threaded: true, inject_delay_ms: 0, expect: {min_concurrency: 0.1}}\n"
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    results = checked.results_by_mode()
    assert results["serial"]["calibration_latency_s"] >= 0.15
    assert results["pool"]["server_figures"]["admitted_concurrency"] == 2
    assert results["direct"]["calibration_latency_s"] < 0.1  # the mode's own 0 overrides the global delay


def test_waitress_s_connection_limit_holds_a_burst_back_and_is_named(write_config: WriteConfig, tmp_path: Path) -> None:
    # waitress stops accepting at connection_limit sockets, its own two included: 4 serves 2 of 8 at once,
    # whatever its 8 threads; the diagnosis names the setting to change.
    path = write_config(
        "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/slow?seconds=0.2'}]\n"
        "burst: {requests: 8, repeats: 1, calibration_requests: 2}\n"
        "modes:\n"
        "  - {name: limited, server: waitress, threads: 8, connection_limit: 4, expect: {min_concurrency: 6}}\n"
        "  - {name: raised, server: waitress, threads: 8, connection_limit: 10, expect: {min_concurrency: 6}}\n"
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 1, checked.output
    results = checked.results_by_mode()
    assert results["limited"]["verdict"] == "fail" and results["raised"]["verdict"] == "pass", checked.output
    assert results["limited"]["server"] == "waitress threads=8 connection_limit=4"
    assert "waitress keeps at most connection_limit = 4 sockets open at once" in results["limited"]["diagnosis"]
    assert "connection_limit" not in results["raised"]["diagnosis"]


def test_a_server_package_that_cannot_be_imported_is_named_with_the_interpreter(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    # A gunicorn that is found but cannot be imported, first on the app's path (the probe finds a module
    # named gunicorn; the server entry then fails to import it): the same clear error as a missing one.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "gunicorn.py").write_text("raise ImportError('No module named gunicorn')\n")
    path = write_config(
        "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: /}]\n"
        "modes:\n  - name: g\n    server: gunicorn\n    expect: serialized\n"
    )
    env = {**os.environ, "PYTHONPATH": str(shadow)}
    checked = run_with_report(path, tmp_path / "report.json", env=env)
    assert checked.returncode == 3, checked.output
    reason = checked.report["results"][0]["reason"]
    assert reason.startswith(f"mode 'g': gunicorn is not installed for the app's interpreter {sys.executable}")


def test_a_control_path_takes_the_overhead_out_for_command_servers(write_config: WriteConfig, tmp_path: Path) -> None:
    n = 30
    command = "{python} -m waitress --host={host} --port={port} --threads=%d reference:app"
    path = write_config(
        "app_dir: APPS\ncontrol_path: /sleep?ms=0\nendpoints: [{path: '/sleep?ms=20'}]\n"
        f"burst: {{requests: {n}, repeats: 3, calibration_requests: 3}}\n"
        f"modes:\n  - {{name: pool, server: command, command: '{command % 40}', expect: concurrent}}\n"
        f"  - {{name: one, server: command, command: '{command % 1}', expect: serialized}}\n"
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    results = checked.results_by_mode()
    for result in results.values():
        assert result["verdict_basis"] == "client C - overhead" and result["allowed_concurrency"] is None
        assert result["attempts"][-1]["control_overhead_s"] > 0
    assert results["pool"]["measured"] >= 0.8 * n and results["one"]["measured"] <= 1.5
