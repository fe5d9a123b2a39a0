"""End to end through the command line, as a user or a CI job runs it: real servers, real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from checker import __version__
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK, EXIT_TERMINATED
from tests.conftest import (
    REPO,
    WriteConfig,
    burstcheck_argv,
    measuring,
    our_processes,
    run_with_report,
    still_running,
)

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

SLEEP_S = 0.2
N = 8


def burstcheck(*args: str, cwd: Path = REPO, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(burstcheck_argv(*args), capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_version_and_help() -> None:
    assert burstcheck("--version").stdout.strip() == f"burstcheck {__version__}"
    top = burstcheck("--help")
    assert top.returncode == 0 and "exit codes" in top.stdout and "C = N * L1 / W" in top.stdout
    for command in ("run", "demo", "schema"):
        shown = burstcheck(command, "--help")
        assert shown.returncode == 0 and f"usage: burstcheck {command}" in shown.stdout


def test_schema_lists_every_config_field() -> None:
    schema = json.loads(burstcheck("schema").stdout)
    assert {"app", "endpoints", "burst", "modes"} <= set(schema["properties"])


def test_run_without_a_config_in_the_folder_says_what_to_do(tmp_path: Path) -> None:
    done = burstcheck("run", cwd=tmp_path)
    assert done.returncode == 2 and "config file not found: burstcheck.yaml" in done.stderr


def test_demo_passes_from_any_folder(tmp_path: Path) -> None:
    done = burstcheck("demo", "--json", "report.json", cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.endswith("PASS")]
    assert [row.split()[0] for row in rows] == ["serial", "threaded", "forked"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "pass"
    by_mode = {r["mode"]: r for r in report["results"]}
    assert {r["verdict_basis"] for r in report["results"]} == {"allowed"}
    assert {r["python"] for r in report["results"]} == {f"{sys.executable} (burstcheck's own)"}
    assert by_mode["serial"]["measured"] == 1 and by_mode["serial"]["allowed"]["limited_by"] == "server"
    assert by_mode["threaded"]["measured"] >= 8
    assert by_mode["forked"]["measured"] == 4 and by_mode["forked"]["allowed"]["server_cap"] == 4


def test_serial_measures_near_one_and_threaded_near_n(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        f"app: sleepy:app\napp_dir: APPS\nendpoints: [{{path: '/slow?seconds={SLEEP_S}'}}]\n"
        f"burst: {{requests: {N}, repeats: 2, calibration_requests: 3, timeout: 20}}\n"
        "modes:\n"
        "  - {name: serial, threaded: false, expect: serialized}\n"
        "  - {name: threaded, threaded: true, expect: concurrent}\n"
    )
    checked = run_with_report(path, tmp_path / "r.json")
    assert checked.returncode == EXIT_OK, checked.output
    results = checked.results_by_mode()
    assert results["serial"]["measured"] == 1 and 0.7 < results["serial"]["effective_concurrency"] < 1.5
    assert results["serial"]["burst_wall_s"] > (N - 1) * SLEEP_S
    assert results["threaded"]["measured"] >= 0.8 * N and results["threaded"]["effective_concurrency"] > 0.6 * N
    assert results["threaded"]["burst_wall_s"] < 3 * SLEEP_S


def test_a_global_lock_fails_the_threaded_expectation(tmp_path: Path) -> None:
    checked = run_with_report(REPO / "configs" / "global-lock.yaml", tmp_path / "r.json")
    assert checked.returncode == EXIT_EXPECTATION_FAILED, checked.output
    assert "FAIL threaded GET /report: expected concurrent (>= 6.4), measured 1." in checked.output
    assert "requests ran one after another" in checked.output
    report = checked.report
    result = report["results"][0]
    assert result["verdict"] == "fail" and report["verdict"] == "fail"
    assert len(result["attempts"]) == 2, "a miss is measured once more before failing"
    requests = result["attempts"][1]["bursts"][0]["requests"]
    assert len(requests) == 8 and all(r["status"] == 200 for r in requests)


def test_an_app_that_raises_at_import_exits_3_showing_the_exception(write_config: WriteConfig) -> None:
    path = write_config(
        "app: broken:app\napp_dir: APPS\nendpoints: [{path: /}]\nmodes: [{name: m, expect: serialized}]\n"
    )
    done = burstcheck("run", str(path))
    assert done.returncode == EXIT_COULD_NOT_RUN
    assert "RuntimeError: database URL is not configured" in done.stdout
    said = "could not import the app 'broken:app': RuntimeError: database URL is not configured:"
    assert f"ERROR m GET /: mode 'm': {said}" in done.stdout


def test_unexpected_status_is_an_error_not_a_concurrency_verdict(write_config: WriteConfig) -> None:
    path = write_config(
        "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/teapot?seconds=0'}]\n"
        "burst: {requests: 4, repeats: 1, calibration_requests: 1}\n"
        "modes: [{name: m, threaded: true, expect: serialized}]\n"
    )
    done = burstcheck("run", str(path))
    assert done.returncode == EXIT_COULD_NOT_RUN
    assert "ERROR m GET /teapot?seconds=0: 5 of 5 requests failed; first: status 418, expected 200" in done.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_run_stops_its_server(write_config: WriteConfig, signum: int) -> None:
    proc = _start_and_wait_for_children(write_config(SLOW_SERIAL))
    try:
        assert len(our_processes()) >= 2
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == (EXIT_TERMINATED if signum == signal.SIGTERM else 130)
    assert b"servers stopped" in err and b"Traceback" not in err


def _start_and_wait_for_children(path: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(burstcheck_argv("run", str(path)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    deadline = time.monotonic() + 30
    while not measuring() and time.monotonic() < deadline:  # server and burst client
        time.sleep(0.05)
    return proc


SLOW_SERIAL = (
    "app: sleepy:app\napp_dir: APPS\nendpoints: [{path: '/slow?seconds=1'}]\n"
    "burst: {requests: 10, repeats: 3}\nmodes: [{name: m, expect: serialized}]\n"
)


def test_a_second_sigterm_does_not_cut_the_teardown_short(write_config: WriteConfig) -> None:
    # The server ignores SIGTERM, so its teardown lasts the grace period; a second SIGTERM lands inside it.
    proc = _start_and_wait_for_children(write_config(SLOW_SERIAL.replace("sleepy:app", "stubborn:app")))
    try:
        assert len(our_processes()) >= 2
        proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == EXIT_TERMINATED, err
    # the autouse fixture asserts that neither the server nor the burst client survived


def test_nothing_survives_a_killed_burstcheck(write_config: WriteConfig, tmp_path: Path) -> None:
    """SIGKILL: no Python code of burstcheck runs. A server that ignores SIGTERM and a daemon without the
    environment token must still be gone within 3 s (the guardian's parent-death signal and subreaping)."""
    pid_file = tmp_path / "daemons"
    config = SLOW_SERIAL.replace("sleepy:app", "daemonizing:app") + f"env: {{DAEMON_PID_FILE: '{pid_file}'}}\n"
    proc = _start_and_wait_for_children(write_config(config))
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        daemons = [int(line) for line in pid_file.read_text().split()]
        family = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        assert daemons and set(daemons) <= set(family), "the daemon is kept below burstcheck's guardian"
        proc.kill()
        proc.wait(timeout=10)
        alive = still_running(family, 3.0)
        assert not alive, f"left running 3 s after burstcheck was killed: {alive} (daemons: {daemons})"
    finally:
        proc.kill()
        proc.wait()
