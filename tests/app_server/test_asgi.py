"""ASGI apps (FastAPI) under uvicorn and hypercorn, launched by burstcheck like the WSGI servers: a blocked
event loop, a CPU-bound async handler and anyio's thread pool each get their own diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.config.load import load_config
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK, ConfigError
from tests.conftest import REPO, WriteConfig, run_with_report

pytestmark = pytest.mark.e2e


def check(
    write_config: WriteConfig, tmp_path: Path, route: str, mode: str, requests: int = 10, app: str = "asgi_ref:app"
) -> dict[str, Any]:
    config = (
        f"app: {app}\napp_dir: APPS\nburst: {{requests: {requests}, repeats: 2, calibration_requests: 3}}\n"
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


SERVERS = {"uvicorn-1": ("server: uvicorn", 1), "uvicorn-2": ("server: uvicorn, workers: 2", 2)}
SERVERS["hypercorn-1"] = ("server: hypercorn", 1)
# route -> (how many ran at once, with w workers; how the diagnosis starts). A blocked loop serves one at a
# time per worker; with 2 workers the lower bound stays 1, as asyncio accepts every pending connection when it
# wakes and one worker may take a whole small burst (the accuracy benchmark shows it under load).
ROUTES = {
    "/async-sleep?ms=100": (lambda w: (8, 10), "requests ran concurrently"),
    "/async-block?ms=100": (lambda w: (0.7, 1.3 * w + 0.5), "the event loop was blocked for "),
    "/sync-sleep?ms=100": (lambda w: (8, 10), "requests ran concurrently"),
    "/async-cpu?ms=50": (lambda w: (0.7, 1.3 * w + 0.5), "a CPU-bound handler held the event loop for "),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("server", list(SERVERS))
def test_each_way_of_serving_under_each_server(
    write_config: WriteConfig, tmp_path: Path, route: str, server: str
) -> None:
    mode, workers = SERVERS[server]
    bounds, diagnosis = ROUTES[route]
    low, high = bounds(workers)
    result = check(
        write_config, tmp_path, route, f"{mode}, expect: {{min_concurrency: {low:g}, max_concurrency: {high:g}}}"
    )
    assert result["returncode"] == EXIT_OK, result["output"]
    assert result["diagnosis"].startswith(diagnosis), result["diagnosis"]


def test_lifespan_and_streamed_bodies_pass_through_the_middleware(write_config: WriteConfig, tmp_path: Path) -> None:
    # The app answers at once and streams afterwards: its time "in the app" is short, so only pass-through counts.
    result = check(write_config, tmp_path, "/streamed?ms=100", "server: uvicorn, expect: {min_concurrency: 1}")
    assert result["returncode"] == EXIT_OK, result["output"]  # a 500 would say the lifespan never started
    requests = result["attempts"][-1]["bursts"][0]["requests"]
    assert {(r["status"], r["body_bytes"]) for r in requests} == {(200, len(b"chunk\n") * 5)}  # every chunk came


def test_def_endpoints_are_capped_by_anyios_thread_pool(write_config: WriteConfig, tmp_path: Path) -> None:
    result = check(
        write_config, tmp_path, "/sync-sleep?ms=300", "server: uvicorn, expect: {min_concurrency: 30}", requests=60
    )
    assert result["returncode"] == EXIT_OK, result["output"]
    assert 35 <= result["measured"] <= 45
    assert result["diagnosis"].startswith("sync endpoints run in a thread pool capped at 40 (anyio's default is 40)")


@pytest.mark.parametrize("framework", ["quart_app", "starlette_app"])
def test_a_blocking_call_in_async_def_is_serialized_whatever_the_framework(
    write_config: WriteConfig, tmp_path: Path, framework: str
) -> None:
    # Quart lets every request in before the first handler blocks: inside the app they look overlapped, yet the
    # loop served them one at a time - its lag decides.
    result = check(
        write_config, tmp_path, "/block?ms=50", "server: hypercorn, expect: serialized", app=f"async_block:{framework}"
    )
    assert result["returncode"] == EXIT_OK, result["output"]
    assert result["allowed"]["limited_by"] == "loop"
    assert result["diagnosis"].startswith("the event loop was blocked for ")
    awaiting = check(
        write_config, tmp_path, "/await?ms=50", "server: hypercorn, expect: concurrent", app=f"async_block:{framework}"
    )
    assert awaiting["returncode"] == EXIT_OK, awaiting["output"]


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
