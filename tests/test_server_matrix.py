"""Reference apps across every server burstcheck launches, for real: measured effective and admitted
concurrency within honest bounds, and the diagnosis a user reads.

Each app runs once through the CLI with all seven modes (expectations kept trivially loose, so that no
mode is re-measured); the assertions are on the JSON report.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import APPS, run_with_report

N = 8
CORES = os.cpu_count() or 1
MODES = """\
modes:
  - {name: serial, threaded: false, expect: {min_concurrency: 0.1}}
  - {name: threaded, threaded: true, expect: {min_concurrency: 0.1}}
  - {name: forked4, processes: 4, expect: {min_concurrency: 0.1}}
  - {name: sync1, server: gunicorn, workers: 1, expect: {min_concurrency: 0.1}}
  - {name: sync4, server: gunicorn, workers: 4, expect: {min_concurrency: 0.1}}
  - {name: gthread4, server: gunicorn, workers: 1, worker_class: gthread, threads: 4, expect: {min_concurrency: 0.1}}
  - {name: waitress4, server: waitress, threads: 4, expect: {min_concurrency: 0.1}}
"""

ONE = (0.6, 1.6)  # one after another: C ~ 1
FOUR = (2.4, 5.2)  # a pool of 4: C ~ 4
ALL = (0.6 * N, N * 1.1)  # the whole burst at once
CPU_CAP = (1.1, min(4, CORES) * 1.3)  # CPU-bound on 4 processes: as many as there are cores

SERIAL_SERVER = "the server handles one request at a time"
POOL = "a pool of"
LOCK = "but the app serialized them"
GIL = "under the GIL"
CORE_CAP = "CPU cores cap it"
APP_CAP = "the app caps concurrency"

# app -> mode -> (C bounds, admitted bounds, words in the diagnosis)
EXPECTED: dict[str, dict[str, tuple[tuple[float, float], tuple[int, int], str]]] = {
    "sleepy": {
        "serial": (ONE, (1, 1), SERIAL_SERVER),
        "threaded": (ALL, (N - 1, N), "requests ran concurrently"),
        "forked4": (FOUR, (3, 4), POOL),
        "sync1": (ONE, (1, 1), SERIAL_SERVER),
        "sync4": (FOUR, (3, 4), POOL),
        "gthread4": (FOUR, (3, 4), POOL),
        "waitress4": (FOUR, (3, 4), POOL),
    },
    "locked": {
        "serial": (ONE, (1, 1), SERIAL_SERVER),
        "threaded": (ONE, (N - 1, N), LOCK),
        "forked4": (FOUR, (3, 4), POOL),  # one lock per process: the processes still overlap
        "sync1": (ONE, (1, 1), SERIAL_SERVER),
        "sync4": (FOUR, (3, 4), POOL),
        "gthread4": (ONE, (3, 4), LOCK),
        "waitress4": (ONE, (3, 4), LOCK),
    },
    "cpu": {
        "serial": (ONE, (1, 1), SERIAL_SERVER),
        "threaded": (ONE, (N - 1, N), GIL),
        "forked4": (CPU_CAP, (3, 4), CORE_CAP),
        "sync1": (ONE, (1, 1), SERIAL_SERVER),
        "sync4": (CPU_CAP, (3, 4), CORE_CAP),
        "gthread4": (ONE, (3, 4), GIL),
        "waitress4": (ONE, (3, 4), GIL),
    },
    "semaphore": {  # the app lets 2 run at once
        "serial": (ONE, (1, 1), SERIAL_SERVER),
        "threaded": ((1.5, 2.6), (N - 1, N), APP_CAP),
        "forked4": (FOUR, (3, 4), POOL),  # one semaphore per process
        "sync1": (ONE, (1, 1), SERIAL_SERVER),
        "sync4": (FOUR, (3, 4), POOL),
        "gthread4": ((1.5, 2.6), (3, 4), APP_CAP),
        "waitress4": ((1.5, 2.6), (3, 4), APP_CAP),
    },
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, dict[str, Any]]]:
    """Run each app through the CLI once per module; results by mode."""
    cache: dict[str, dict[str, dict[str, Any]]] = {}

    def run(app: str) -> dict[str, dict[str, Any]]:
        if app not in cache:
            folder = tmp_path_factory.mktemp(app)
            path = folder / "burstcheck.yaml"
            path.write_text(
                f"app: {app}:app\napp_dir: {APPS}\nendpoints: [{{path: /}}]\n"
                f"burst: {{requests: {N}, repeats: 1, calibration_requests: 2, timeout: 30}}\n{MODES}"
            )
            checked = run_with_report(path, folder / "report.json", timeout_s=400)
            assert checked.returncode == 0, checked.output
            cache[app] = checked.results_by_mode()
        return cache[app]

    return run


@pytest.mark.timeout(400)
@pytest.mark.parametrize("app", sorted(EXPECTED))
def test_reference_app_across_servers(reports: Callable[[str], dict[str, dict[str, Any]]], app: str) -> None:
    results = reports(app)
    problems = []
    for mode, ((c_low, c_high), (a_low, a_high), words) in EXPECTED[app].items():
        result = results[mode]
        measured = result["effective_concurrency"]
        admitted = result["server_figures"]["admitted_concurrency"]
        if not (c_low <= measured <= c_high and a_low <= admitted <= a_high and words in result["diagnosis"]):
            problems.append(f"{mode}: C={measured:.2f} admitted={admitted} diagnosis={result['diagnosis']!r}")
    assert not problems, f"{app}:\n" + "\n".join(problems)


@pytest.mark.timeout(400)
def test_server_figures_show_processes_and_threads(reports: Callable[[str], dict[str, dict[str, Any]]]) -> None:
    results = reports("sleepy")
    figures = {mode: r["server_figures"] for mode, r in results.items()}
    assert (figures["serial"]["processes"], figures["serial"]["threads"]) == (1, 1)
    assert figures["threaded"]["processes"] == 1 and figures["threaded"]["threads"] >= N - 1
    assert figures["forked4"]["processes"] >= 4  # werkzeug forks a process per request
    assert figures["sync4"]["processes"] >= 3 and figures["gthread4"]["processes"] == 1
    assert figures["waitress4"]["threads"] <= 4
    for result in results.values():
        assert result["calibration_cpu_share"] < 0.5  # a sleeping handler uses little CPU
        assert 0 <= result["server_figures"]["arrival_spread_s"] < 30
