"""The contract across the app's process boundary: what burstcheck sends (the spec, each server's options) and
what the middlewares send back (the timing header), written on one side and read on the other by the same
records. Both middlewares run in-process here, and their header is read back as the burst client reads it."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from checker.analysis.figures import summarize
from checker.analysis.verdict import judge
from checker.app_server import wsgi_timing
from checker.app_server.asgi_timing import AsgiTimingMiddleware
from checker.app_server.launchers import LAUNCHERS
from checker.app_server.records import typed
from checker.app_server.timing import HEADER, ServerTiming, format_release, thread_cpu_wait, wait_for_release
from checker.app_server.wsgi_timing import RELEASE_ENVIRON, TimingMiddleware
from checker.config import SERVERS
from checker.wire import InspectSpec, Measurement, RequestTiming, ServerSpec, read_spec, write_spec
from tests import timelines
from tests.conftest import REPO


def _wsgi_header(delay_s: float = 0.0) -> str:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        time.sleep(0.01)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> None:
        seen.update(headers)

    body = TimingMiddleware(app, delay_s)({}, start_response)
    assert list(body) == [b"ok"]  # the body passes through untouched
    return seen[HEADER]


def _asgi_header() -> str:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(0.01)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    asyncio.run(AsgiTimingMiddleware(app)({"type": "http"}, receive, send))
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"] == b"text/plain"  # the app's own headers are kept
    return headers[HEADER.lower().encode()].decode()


@pytest.mark.parametrize("header", [_wsgi_header, _asgi_header], ids=["wsgi", "asgi"])
def test_each_middlewares_header_is_read_back_by_the_one_reader(header: Any) -> None:
    before = time.monotonic()
    timing = ServerTiming.from_header(header())
    assert before <= timing.enter_s < timing.exit_s <= time.monotonic()
    assert timing.in_app_s >= 0.009  # the app's 10 ms, measured inside the server
    assert timing.pid > 0 and timing.thread_id > 0 and timing.cpu_s >= 0


def test_the_asgi_header_carries_the_event_loop_and_the_wsgi_header_does_not() -> None:
    asgi = ServerTiming.from_header(_asgi_header())
    assert asgi.loop_blocked_enter_s is not None and asgi.loop_lag_max_s is not None
    wsgi = ServerTiming.from_header(_wsgi_header())
    assert wsgi.loop_blocked_enter_s is None and '"loop' not in _wsgi_header()
    # Both carry the process's CPU clock at the answer (threads answering at a core's pace show it there); only
    # an event loop's request carries it at the entry too, to count its own CPU.
    assert asgi.process_cpu_enter_s is not None and asgi.process_cpu_exit_s is not None
    assert wsgi.process_cpu_enter_s is None and wsgi.process_cpu_exit_s is not None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("not json", "Expecting value"),
        ("[1, 2]", "expected an object"),
        ('{"pid": 1, "thread_id": 2, "enter_s": 1.0, "exit_s": 2.0}', "missing field 'cpu_s'"),
        ('{"pid": "1", "thread_id": 2, "enter_s": 1.0, "exit_s": 2.0, "cpu_s": 0}', "pid: '1' is not"),
        ('{"pid": 1, "thread_id": 2, "enter_s": 1.0, "exit_s": 2.0, "cpu_s": 0, "extra": 1}', "unknown field"),
    ],
)
def test_a_header_that_cannot_be_read_says_why(value: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        ServerTiming.from_header(value)


def test_unreadable_headers_are_counted_and_named_in_the_verdict_never_dropped() -> None:
    burst = timelines.thread_per_request(10, 0.1)
    broken = (dataclasses.replace(burst[0], server=None, timing_error="missing field 'cpu_s'"), *burst[1:])
    figures = summarize(Measurement(timelines.calibration(0.1), (broken,)), 200)
    assert figures.bursts[0].timing_errors == 1 and figures.basis == "client C"
    reason = judge(figures, 8, None, ">= 8").reason
    assert "1 of 10 timing headers could not be read (first: missing field 'cpu_s')" in reason


def test_a_request_timing_keeps_its_timing_error_across_the_pipe() -> None:
    timing = RequestTiming(1.0, 2.0, 200, None, None, 10, timing_error="bad header")
    assert RequestTiming.from_json(timing.to_json()) == timing


def test_the_spec_is_read_back_as_written() -> None:
    fields = {"name": "g", "server": "gunicorn", "workers": 2, "worker_class": "gthread", "threads": 4}
    mode = SERVERS["gunicorn"].model_validate({**fields, "expect": "concurrent"})
    spec = ServerSpec(
        app="web:app",
        app_dir="/srv",
        host="127.0.0.1",
        port=8000,
        server=mode.server,
        package=str(mode.package),
        interface=str(mode.interface),
        options=mode.server_options(),
        inject_delay_ms=5.0,
    )
    assert read_spec(write_spec(spec)) == spec
    assert read_spec(write_spec(InspectSpec(app="web:app", app_dir="/srv"))) == InspectSpec("web:app", "/srv")
    with pytest.raises(ValueError, match="unknown request kind"):
        read_spec('{"kind": "explode"}')


@pytest.mark.parametrize("server", sorted(name for name, cls in SERVERS.items() if cls.package is not None))
def test_every_servers_config_fields_are_its_launchers_options(server: str) -> None:
    """A new server is its config class and its launcher: the two must name the same options."""
    mode_class = SERVERS[server]
    mode = mode_class.model_validate({"name": "m", "server": server, "expect": "concurrent"})
    launcher = LAUNCHERS[server]
    assert set(mode.server_options()) == {f.name for f in dataclasses.fields(launcher.options)}
    typed(launcher.options, mode.server_options())  # the defaults cross as they are
    assert mode_class.interface in ("wsgi", "asgi") and mode_class.package


def test_typed_records_refuse_what_the_other_side_would_misread() -> None:
    @dataclasses.dataclass(frozen=True)
    class Options:
        workers: int
        share: float
        name: str | None = None

    assert typed(Options, {"workers": 2, "share": 1}) == Options(2, 1)
    for data, why in [
        ({"workers": True, "share": 1.0}, "workers"),  # a bool is not a count
        ({"workers": 2}, "missing field 'share'"),
        ({"workers": 2, "share": 1.0, "name": 3}, "name"),
    ]:
        with pytest.raises(ValueError, match=why):
            typed(Options, data)


def test_the_release_holds_a_request_until_then_and_the_app_never_sees_it() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    headers: dict[str, str] = {}
    release_s = time.monotonic() + 0.05
    environ = {RELEASE_ENVIRON: format_release(release_s)}
    list(TimingMiddleware(app)(environ, lambda status, given, *exc: headers.update(given)))
    timing = ServerTiming.from_header(headers[HEADER])
    assert RELEASE_ENVIRON not in seen
    assert timing.admitted_s is not None and timing.admitted_s < release_s <= timing.enter_s + 0.001
    if sys.platform == "linux":  # the thread's wait for a CPU while in the app, from its schedstat
        assert timing.cpu_wait_enter_s is not None and timing.cpu_wait_exit_s is not None
        assert 0.0 <= timing.cpu_wait_s <= timing.in_app_s + 0.001
    assert wait_for_release(format_release(time.monotonic() + 60), time.monotonic()) == 0.0  # not burstcheck's
    assert wait_for_release("garbage", time.monotonic()) == 0.0


@pytest.mark.parametrize(
    ("requests", "interval_s"),
    [
        (10, wsgi_timing.FINE_SWITCH_INTERVAL_S),
        (wsgi_timing.FINE_SWITCHING_MAX + 1, wsgi_timing.COARSE_SWITCH_INTERVAL_S),
    ],
)
def test_the_gil_changes_hands_often_for_a_few_burst_requests_seldom_for_many(requests: int, interval_s: float) -> None:
    # A few: millisecond handlers take turns as threads should. Many: waiting threads that woke every 5 ms
    # spent a burst of 2000 on waking up.
    inside, answered = threading.Barrier(requests), threading.Barrier(requests)
    seen: list[float] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inside.wait(timeout=30)  # the whole burst is in the app
        seen.append(sys.getswitchinterval())
        answered.wait(timeout=30)  # none has left yet
        start_response("200 OK", [])
        return [b""]

    before_s = sys.getswitchinterval()
    environ = {RELEASE_ENVIRON: format_release(time.monotonic() + 0.05)}
    threads = [
        threading.Thread(target=lambda: list(TimingMiddleware(app)(dict(environ), lambda *given: None)))
        for _ in range(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen == pytest.approx([interval_s] * requests)
    assert sys.getswitchinterval() == pytest.approx(before_s)  # Python's own again once the burst has left


@pytest.mark.skipif(sys.platform != "linux", reason="the thread's wait for a CPU comes from Linux's schedstat")
def test_a_lone_request_records_how_long_its_thread_waited_for_a_cpu() -> None:
    # The calibration's lone requests set the time alone: a busy machine's preemption must be told apart there too.
    headers: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    list(TimingMiddleware(app)({}, lambda status, given, *exc: headers.update(given)))
    timing = ServerTiming.from_header(headers[HEADER])
    assert timing.admitted_s is None  # not a burst's request
    assert timing.cpu_wait_enter_s is not None and 0.0 <= timing.cpu_wait_s <= timing.in_app_s + 0.001


def test_a_burst_request_s_cpu_wait_is_read_inside_its_time_in_the_app_once_its_peers_see_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wait read before the entry or after the answer would count in the request's CPU wait though it lay
    # outside its time in the app; and a request that entered had to be seen by its peers' answers from then on.
    reads: list[tuple[float, bool]] = []

    def cpu_wait() -> float:
        reads.append((time.monotonic(), threading.get_ident() in wsgi_timing._IN_APP))
        return 0.0

    monkeypatch.setattr(wsgi_timing, "thread_cpu_wait", cpu_wait)
    headers: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    environ = {RELEASE_ENVIRON: format_release(time.monotonic() + 0.01)}
    list(TimingMiddleware(app)(environ, lambda status, given, *exc: headers.update(given)))
    timing = ServerTiming.from_header(headers[HEADER])
    (entry_s, _), (answer_s, registered_at_answer) = reads
    assert timing.enter_s <= entry_s and answer_s <= timing.exit_s and registered_at_answer


# Whether another thread got the GIL while this one read: in a fresh interpreter, where no third thread can ask
# for the GIL and hand it on (in pytest's process, other tests' threads do).
_GIL_PROBE = """
import sys, threading, time
from checker.app_server.timing import thread_cpu_wait

def python_file_read():
    with open("/proc/thread-self/schedstat", "rb") as stat:
        return stat.read()

def others_ran_while(read):
    gate, ran = threading.Lock(), threading.Event()
    gate.acquire()
    other = threading.Thread(target=lambda: (gate.acquire(), ran.set()))
    other.start()
    sys.setswitchinterval(100.0)  # the other thread gets the GIL only if this one lets go of it
    gate.release()
    deadline = time.perf_counter() + 0.05
    while time.perf_counter() < deadline:  # time for the other thread to wait for the GIL
        pass
    for _ in range(2000):  # each read's release is a chance that the other thread may miss
        read()
    said = ran.is_set()
    sys.setswitchinterval(0.005)
    other.join()
    return said

print(others_ran_while(python_file_read), others_ran_while(thread_cpu_wait))
"""


@pytest.mark.skipif(thread_cpu_wait() is None, reason="Linux's schedstat")
def test_the_cpu_wait_is_read_without_letting_go_of_the_gil() -> None:
    # A thread that let go of the GIL for the reading waits to get it back after the value was taken: that wait
    # would count on the far side of the reading (before a request's entry, in its CPU wait).
    probe = subprocess.run([sys.executable, "-c", _GIL_PROBE], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    # A read through Python's files lets the other thread run (the probe can tell); the CPU wait's does not.
    assert probe.stdout.split() == ["True", "False"]
