"""The GIL's switch interval while a burst's requests are in the app: finer the fewer there are."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from checker.app_server.wsgi_timing import _Switching


@pytest.fixture
def switching() -> Iterator[_Switching]:
    default_s = sys.getswitchinterval()
    yield _Switching()
    sys.setswitchinterval(default_s)


def test_the_interval_follows_how_many_requests_are_inside(switching: _Switching) -> None:
    default_s = sys.getswitchinterval()
    seen = []
    for _ in range(130):
        switching.entered()
        seen.append(sys.getswitchinterval())
    # 0.1 ms for a few (a 0.4 ms handler under a lock meets its peers), 0.5 ms for more, Python's own beyond.
    assert seen[0] == seen[15] == pytest.approx(0.0001)
    assert seen[16] == seen[127] == pytest.approx(0.0005)
    assert seen[128] == seen[129] == default_s
    for inside in range(129, -1, -1):
        switching.left()
        if inside in (128, 16, 0):
            assert sys.getswitchinterval() == pytest.approx({128: 0.0005, 16: 0.0001, 0: default_s}[inside])
