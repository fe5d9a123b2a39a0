"""What a mode's settings explain about a cap that its pool alone would not: the note a diagnosis carries."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from checker.config import GunicornMode, WaitressMode


def waitress(**fields: Any) -> WaitressMode:
    return WaitressMode.model_validate({"name": "w", "server": "waitress", "expect": "concurrent", **fields})


def gunicorn(**fields: Any) -> GunicornMode:
    return GunicornMode.model_validate({"name": "g", "server": "gunicorn", "expect": "concurrent", **fields})


def test_waitress_s_connection_limit_is_named_where_it_held_the_burst_back() -> None:
    wide = waitress(threads=256)
    assert wide.capacity == 98  # its own listening socket and wake-up pipe count in the limit
    note = wide.cap_note(98, 1000)
    assert "connection_limit = 100 sockets" in note and "its default" in note and "raise `connection_limit`" in note
    raised = waitress(threads=256, connection_limit=1000)
    assert raised.label == "waitress threads=256 connection_limit=1000" and raised.capacity == 256
    assert raised.cap_note(256, 1000) == ""  # the threads held it back: the pool says so already
    assert waitress(threads=4).cap_note(4, 100) == "" and waitress(threads=4).label == "waitress threads=4"


def test_gunicorn_s_gthread_workers_landing_unevenly_are_named() -> None:
    note = gunicorn(worker_class="gthread", workers=2, threads=4).cap_note(6, 8)
    assert note.startswith("gunicorn's gthread workers each accept every connection they can")
    assert "2 x 4 are served at once only when the connections spread evenly" in note
    assert gunicorn(worker_class="gthread", workers=2, threads=4).cap_note(8, 8) == ""  # they spread evenly
    assert gunicorn(worker_class="gthread", workers=1, threads=4).cap_note(4, 8) == ""  # one pool: nothing uneven
    assert gunicorn(workers=4).cap_note(3, 8) == ""  # sync workers take one connection at a time


def test_a_waitress_connection_limit_past_select_s_reach_needs_poll() -> None:
    # waitress's select() loop fails every request once a socket's number passes 1023 (found at N=2000).
    with pytest.raises(ValidationError, match="connection_limit above 1000 needs asyncore_use_poll: true"):
        waitress(connection_limit=2002)
    assert waitress(threads=256, connection_limit=2002, asyncore_use_poll=True).capacity == 256
