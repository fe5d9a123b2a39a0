"""The listen backlog as the kernel reports it, on a real listening socket on loopback."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from checker.run.listen_queue import listen_queue

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sock_diag is Linux's")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server


def test_the_queue_counts_connections_not_yet_accepted_and_the_limit_is_the_backlog(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    assert listen_queue(port) == (0, 64)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        assert listen_queue(port) == (5, 64)
        listener.accept()[0].close()
        assert listen_queue(port) == (4, 64)
    finally:
        for client in clients:
            client.close()


def test_a_port_nobody_listens_on_tells_nothing(listener: socket.socket) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))  # bound, not listening: this port has no listener
        assert listen_queue(free.getsockname()[1]) is None
