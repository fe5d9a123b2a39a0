"""Every truth class on every server burstcheck launches, for real: the estimate the verdict uses lies in the
band around the truth, and the diagnosis names the cause.

The reference app (tests/apps/reference.py) serves each class on its own route, 20 ms alone; one CLI run
measures all of them in all eight modes (expectations kept trivially loose, so that nothing is re-measured)
and the assertions read its JSON report. Bands are those of benchmarks/accuracy.py's verdicts, wide enough
for a loaded 2-core machine: a pool of k serving N requests runs ceil(N / k) waves.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conftest import APPS, run_with_report

pytestmark = pytest.mark.e2e

N = 20
HANDLER_MS = 20
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
  - {name: cheroot4, server: cheroot, threads: 4, expect: {min_concurrency: 0.1}}
"""
ROUTES = {
    "sleep": "/sleep",
    "lock": "/lock",
    "sem3": "/sem?k=3",
    "cpu": "/cpu",
    "lockcpu": "/lock-cpu",
    "hash": "/hash",
}

ONE = (1.0, 1.5)  # `expect: serialized`
ALL = (0.8 * N, N)  # `expect: concurrent`


def around(k: int) -> tuple[float, float]:
    return (0.7 * k, 1.3 * k + 0.5)


SERIAL_SERVER = "the server handles one request at a time"
POOL = "a pool of 4 workers/threads in the server"
FORKS = "forks a process per request, at most 4"
LOCK = "but the app serialized them"
LOCK_CPU = "a lock around CPU-bound work (the others made no progress while one was served)"
GIL = "they took turns at the GIL"
APP_CAP = "the app caps concurrency"
OUTSIDE_GIL = "outside the GIL"
TOGETHER = "requests ran concurrently: nothing in the server or the app made them wait|requests were served together"

# class -> mode -> (band of the estimate, words in the diagnosis; any of several joined by |). The estimate is
# the concurrency: how many are served together. CPU-bound handlers are served together by threads too (they
# take turns at the GIL); how much CPU ran in parallel is the diagnosis's note, not the estimate.
EXPECTED: dict[str, dict[str, tuple[tuple[float, float], str]]] = {
    "sleep": {
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (ALL, TOGETHER),
        "forked4": (around(4), FORKS),
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (around(4), POOL),
        "waitress4": (around(4), POOL),
        "cheroot4": (around(4), POOL),
    },
    "lock": {
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (ONE, LOCK),
        "forked4": (around(4), FORKS),  # one lock per process: the processes still overlap
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (ONE, LOCK),
        "waitress4": (ONE, LOCK),
        "cheroot4": (ONE, LOCK),
    },
    "sem3": {  # the app lets 3 run at once, per process
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (around(3), APP_CAP),
        "forked4": (around(4), FORKS),
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (around(3), APP_CAP),
        "waitress4": (around(3), APP_CAP),
        "cheroot4": (around(3), APP_CAP),
    },
    "cpu": {  # pure Python: threads take turns at the GIL; served together all the same
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (ALL, GIL),
        "forked4": (around(4), FORKS),
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (around(4), POOL),
        "waitress4": (around(4), POOL),
        "cheroot4": (around(4), POOL),
    },
    "lockcpu": {  # the same loop behind one lock: one at a time wherever threads share the lock
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (ONE, LOCK_CPU),
        "forked4": (around(4), FORKS),
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (ONE, LOCK_CPU),
        "waitress4": (ONE, LOCK_CPU),
        "cheroot4": (ONE, LOCK_CPU),
    },
    "hash": {  # CPU-bound C code that releases the GIL: threads run it on every core
        "serial": (ONE, SERIAL_SERVER),
        "threaded": (ALL, f"{OUTSIDE_GIL}|{TOGETHER}"),
        "forked4": (around(4), FORKS),
        "sync1": (ONE, SERIAL_SERVER),
        "sync4": (around(4), POOL),
        "gthread4": (around(4), POOL),
        "waitress4": (around(4), POOL),
        "cheroot4": (around(4), POOL),
    },
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """One CLI run over every route and mode; results by (route name, mode)."""
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "burstcheck.yaml"
    endpoints = ", ".join(
        f"{{path: '{route}{'&' if '?' in route else '?'}ms={HANDLER_MS}'}}" for route in ROUTES.values()
    )
    path.write_text(
        f"app: reference:app\napp_dir: {APPS}\nendpoints: [{endpoints}]\n"
        f"burst: {{requests: {N}, repeats: 3, calibration_requests: 3, timeout: 30}}\n{MODES}"
    )
    checked = run_with_report(path, folder / "report.json", timeout_s=500)
    assert checked.returncode == 0, checked.output
    by_path = {route.split("?")[0]: name for name, route in ROUTES.items()}
    return {(by_path[r["endpoint"].split()[1].split("?")[0]], r["mode"]): r for r in checked.report["results"]}


@pytest.mark.timeout(500)
@pytest.mark.parametrize("app", sorted(EXPECTED))
def test_truth_class_across_servers(results: dict[tuple[str, str], dict[str, Any]], app: str) -> None:
    problems = []
    for mode, ((low, high), words) in EXPECTED[app].items():
        result = results[(app, mode)]
        measured = result["measured"]
        seen = any(word in result["diagnosis"] for word in words.split("|"))
        if result["verdict"] != "pass" or not (low <= measured <= high) or not seen:
            problems.append(
                f"{mode}: {result['verdict']} measured={measured} (client C {result['effective_concurrency']}) "
                f"reason={result['reason']!r} diagnosis={result['diagnosis']!r}"
            )
    assert not problems, f"{app}:\n" + "\n".join(problems)


@pytest.mark.timeout(500)
def test_every_result_uses_the_allowed_concurrency(results: dict[tuple[str, str], dict[str, Any]]) -> None:
    for result in results.values():
        assert result["verdict_basis"] == "allowed"
        assert result["allowed_concurrency"] == result["measured"]
        assert result["allowed"]["limited_by"] in ("app", "server", "loop", "pool", "nothing")


@pytest.mark.timeout(500)
def test_server_figures_show_processes_and_threads(results: dict[tuple[str, str], dict[str, Any]]) -> None:
    figures = {mode: results[("sleep", mode)]["server_figures"] for mode in EXPECTED["sleep"]}
    assert (figures["serial"]["processes"], figures["serial"]["threads"]) == (1, 1)
    assert figures["threaded"]["processes"] == 1 and figures["threaded"]["threads"] == N  # a thread per request
    assert figures["forked4"]["processes"] == N  # werkzeug forks a process per request
    assert figures["sync4"]["processes"] == 4 and figures["gthread4"]["processes"] == 1
    assert figures["gthread4"]["threads"] == 4 and figures["waitress4"]["threads"] == 4
    for mode, _ in EXPECTED["sleep"].items():
        assert results[("sleep", mode)]["calibration_cpu_share"] < 0.5  # a sleeping handler uses little CPU


@pytest.mark.timeout(500)
def test_parallelism_is_reported_apart_from_concurrency(results: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Threads served the CPU-bound loop together, about one core's worth at once; four processes ran it on
    the machine's cores (a busy machine may lower theirs; nothing raises the GIL's)."""
    assert results[("cpu", "threaded")]["parallelism"] < 1.3
    assert results[("cpu", "sync4")]["parallelism"] <= min(4, CORES) * 1.15
