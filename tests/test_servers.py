"""Booting modes for real on loopback: ready, port races, import failures, servers that never answer."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import psutil
import pytest
import requests

from checker.config import Endpoint, WerkzeugMode
from checker.errors import RunError
from checker.servers import HOST, free_port, running_server
from tests.conftest import APPS

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


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        yield sock.getsockname()[1]


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
    assert "the server exited with status 3" in message
    assert "RuntimeError: database URL is not configured" in message


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    with pytest.raises(RunError, match=r"did not answer GET /slow\?seconds=0 within 1.5 s"):
        with running_server(mode(), app="slow_start:app", app_dir=APPS, probe=PROBE, boot_timeout_s=1.5):
            pytest.fail("must not get ready")
