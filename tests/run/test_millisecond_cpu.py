"""Handlers of a millisecond of CPU under werkzeug threads, for real: a lock around them is found, the same
work without the lock is served together, and no request fails while the middleware watches a burst's
threads take turns. The middleware's evidence from inside (did the others progress while one was served?)
is what tells the two apart; with a millisecond of work, it has to hold at the release, where every thread
wakes at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import APPS, run_with_report

pytestmark = pytest.mark.e2e

N = 30
LOCK_CPU = "a lock around CPU-bound work"
GIL = "they took turns at the GIL"


@pytest.mark.timeout(300)
def test_a_lock_around_a_millisecond_of_cpu_is_found(tmp_path: Path) -> None:
    config = tmp_path / "burstcheck.yaml"
    config.write_text(
        f"app: reference:app\napp_dir: {APPS}\n"
        "endpoints: [{path: '/lock-cpu?ms=1'}, {path: '/cpu?ms=1'}]\n"
        f"burst: {{requests: {N}, repeats: 3}}\n"
        "modes:\n  - {name: threaded, threaded: true, expect: {min_concurrency: 0.1}}\n"
    )
    checked = run_with_report(config, tmp_path / "report.json", timeout_s=240)
    assert checked.returncode == 0, checked.output
    results = {r["endpoint"].split()[1].split("?")[0]: r for r in checked.report["results"]}
    locked, turns = results["/lock-cpu"], results["/cpu"]
    for result in (locked, turns):
        assert result["verdict"] == "pass", result["reason"]  # every request answered 200
    assert locked["measured"] <= 1.5, locked["diagnosis"]
    assert LOCK_CPU in locked["diagnosis"]
    assert turns["measured"] >= 0.8 * N, turns["diagnosis"]
    assert GIL in turns["diagnosis"]
