"""ASGI apps (FastAPI) under uvicorn and hypercorn, launched by burstcheck like the WSGI servers: a blocked
event loop, a CPU-bound async handler and anyio's thread pool each get their own diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.config_file import load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK, ConfigError
from tests.conftest import REPO, WriteConfig, run_with_report

pytestmark = pytest.mark.e2e


def check(write_config: WriteConfig, tmp_path: Path, route: str, mode: str, requests: int = 10) -> dict[str, Any]:
    config = (
        f"app: asgi_ref:app\napp_dir: APPS\nburst: {{requests: {requests}, repeats: 2, calibration_requests: 3}}\n"
        f"endpoints: [{{path: '{route}'}}]\nmodes:\n  - {{name: m, {mode}}}\n"
    )
    checked = run_with_report(write_config(config), tmp_path / "report.json")
    (result,) = checked.report["results"]
    return {"returncode": checked.returncode, "output": checked.output, **result}


def test_awaiting_handlers_run_concurrently_on_one_loop(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(write_config, tmp_path, "/async-sleep?ms=100", "server: uvicorn, expect: concurrent")
    assert result["returncode"] == EXIT_OK, result["output"]
    assert result["measured"] == 10.0 and result["server"] == "uvicorn workers=1 loop=auto http=auto"
    assert result["diagnosis"].startswith("requests ran concurrently")
    burst = result["attempts"][-1]["bursts"][0]
    assert burst["loop_blocked_s"] is not None and burst["loop_blocked_s"] < 0.2  # the loop stayed free


@pytest.mark.parametrize(
    ("mode", "workers"),
    [("server: uvicorn", 1), ("server: uvicorn, workers: 2", 2), ("server: hypercorn", 1)],
    ids=["uvicorn-1", "uvicorn-2", "hypercorn-1"],
)
def test_a_blocking_call_in_async_def_is_named(
    write_config: WriteConfig, tmp_path: Path, mode: str, workers: int
) -> None:
    result = check(write_config, tmp_path, "/async-block?ms=100", f"{mode}, expect: concurrent")
    assert result["returncode"] == EXIT_EXPECTATION_FAILED, result["output"]
    assert workers * 0.7 <= result["measured"] <= workers * 1.3 + 0.5  # one request at a time per worker
    assert result["diagnosis"].startswith("the event loop was blocked for "), result["diagnosis"]
    assert "a blocking call inside `async def`" in result["diagnosis"]


def test_a_cpu_bound_async_handler_is_told_from_blocking_io(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(write_config, tmp_path, "/async-cpu?ms=50", "server: uvicorn, expect: concurrent")
    assert result["returncode"] == EXIT_EXPECTATION_FAILED, result["output"]
    assert result["diagnosis"].startswith("a CPU-bound handler held the event loop for "), result["diagnosis"]


def test_def_endpoints_are_capped_by_anyios_thread_pool(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(
        write_config, tmp_path, "/sync-sleep?ms=300", "server: uvicorn, expect: {min_concurrency: 30}", requests=60
    )
    assert result["returncode"] == EXIT_OK, result["output"]
    assert 36 <= result["measured"] <= 44
    assert result["diagnosis"].startswith("sync endpoints run in a thread pool capped at 40 (anyio's default)")


def test_hypercorn_on_trio_serves_and_is_measured(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(
        write_config, tmp_path, "/anyio-sleep?ms=100", "server: hypercorn, worker_class: trio, expect: concurrent"
    )
    assert result["returncode"] == EXIT_OK, result["output"]
    assert result["attempts"][-1]["bursts"][0]["loop_blocked_s"] is None  # no asyncio loop to watch


def test_a_wsgi_server_given_an_asgi_app_says_so(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(write_config, tmp_path, "/async-sleep", "threaded: true, expect: concurrent")
    assert result["returncode"] == EXIT_COULD_NOT_RUN
    assert (
        "'asgi_ref:app' is an ASGI app, and werkzeug serves WSGI apps: choose uvicorn or hypercorn" in result["reason"]
    )


def test_interface_and_servers_must_agree_in_the_config(write_config: WriteConfig) -> None:
    text = (
        "app: asgi_ref:app\ninterface: asgi\nendpoints: [{path: /}]\nmodes:\n"
        "  - {name: a, server: uvicorn, expect: concurrent}\n  - {name: b, threaded: true, expect: concurrent}\n"
    )
    with pytest.raises(ConfigError, match=r":6: modes\[1\]\.server: werkzeug serves WSGI apps, but the app is ASGI"):
        load_config(write_config(text))


def test_the_bundled_blocked_loop_example_fails_with_the_diagnosis(tmp_path: Path) -> None:
    checked = run_with_report(REPO / "configs" / "blocked-event-loop.yaml", tmp_path / "report.json")
    assert checked.returncode == EXIT_EXPECTATION_FAILED, checked.output
    assert "the event loop was blocked for" in checked.report["results"][0]["diagnosis"]
