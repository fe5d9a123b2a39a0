"""The burst client, run as its own process: `python -m checker.burst_worker` reads a JSON job on stdin
and writes JSON timings on stdout.

grequests monkey-patches the whole interpreter with gevent on import, which breaks threads, subprocesses
and other libraries; so it is imported here, in a process that does nothing else, and never by the
orchestrating process (tests/run/test_burst_client.py checks that).

A burst is released at a gate: every request first opens its connection and prepares its bytes; once all
N are ready, one greenlet sends every request in a tight loop (one send each). The server gets N complete
requests within a few microseconds of client work per request, and the connections were made before the
burst, so the listen backlog does not overflow at its moment.

Why not hold back only the last byte: when a server's accept queue is full, Linux answers with a SYN
cookie and drops the handshake's ACK; the cookie is validated only on a segment carrying the request's
first byte, so a connection whose first bytes were dropped and whose last byte came later is reset. A
request sent whole is one segment, retransmitted intact until the server accepts it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import resource
import socket
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import gevent
import gevent.event
import grequests  # patches sockets with gevent on import
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

from checker.app_server.timing import HEADER as SERVER_TIMING_HEADER
from checker.app_server.timing import RELEASE_HEADER, RELEASE_PLACEHOLDER, format_release
from checker.run.listen_queue import listen_queue
from checker.wire import PROGRESS_PREFIX, BurstJob, RequestTiming, ServerTiming, WorkerOutput

# The burst's URL is always a loopback IP literal: resolve it in place, not through gevent's resolver thread,
# whose round trip cost about 1 ms a connection (a second of a 1000-request burst's connect phase).
gevent.config.resolver = "block"

ERROR_TEXT_LIMIT = 300
BODY_CHUNK_BYTES = 256 * 1024  # read size when draining a response body; memory per request stays this small
# The gate opens when every request is connected and held, or after this long: a server that accepts
# one connection at a time (threaded=False) leaves the rest in its listen backlog, and past the backlog's
# size connects stall in the kernel's SYN retries; those requests are then sent as soon as they connect.
GATE_WAIT_S = 3.0
# Connections are opened in waves the server's listen backlog has room for (checker/run/listen_queue.py: where
# the kernel tells the queue and its limit, a wave fills it to BACKLOG_FILL, leaving room for handshakes still
# under way), so that none is dropped and retried by the kernel or reset. Elsewhere (macOS), waves of
# CONNECT_WAVE with a pause between them. At most PACE_WAIT_MAX_S in all: a server that stopped accepting is
# not waited for longer (its requests then meet the backlog).
BACKLOG_FILL = 0.5
PACE_POLL_S = 0.001
CONNECT_WAVE = 50
CONNECT_PAUSE_S = 0.01
PACE_WAIT_MAX_S = 3.0

# The release: the gate's sending, the server's accept loop and its parsing of N requests take about this long
# each (werkzeug, under one GIL, is the slowest measured idle: 0.1-0.2 ms); a request admitted after the
# release enters the app at once, so a short margin only lets a busy server's last requests in a little late.
RELEASE_MIN_S = 0.02
RELEASE_PER_REQUEST_S = 0.0003
# On a busy machine a server admits more slowly (4 ms a request was seen beside two CPU hogs): each burst's
# admissions, as the middleware reports them, set the next burst's margin to this many times the time they
# took, up to RELEASE_MAX_S.
RELEASE_SAFETY = 1.5
RELEASE_MAX_S = 2.0
PLACEHOLDER_BYTES = RELEASE_PLACEHOLDER.encode()
# After a burst the server is still ending up to N connections (threads exiting, sockets closing); the next
# burst waits this long per request of the last one, or its connects overflow a slow accept loop's backlog.
# Where the pacer sees the backlog (Linux) the connects wait for room themselves, and the pause stops at
# SETTLE_SEEN_MAX_S: a second less in a run of 1000 x 3, while bursts of up to 100 settle as they always did.
SETTLE_PER_REQUEST_S = 0.0005
SETTLE_SEEN_MAX_S = 0.05


class Pacer:
    """Grants connects in waves that the server's listen backlog has room for (see BACKLOG_FILL)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.budget = 0
        self.next_look = 0.0
        self.give_up = time.monotonic() + PACE_WAIT_MAX_S

    def wait(self) -> None:
        while self.budget <= 0 and time.monotonic() < self.give_up:
            now = time.monotonic()
            if now < self.next_look:
                gevent.sleep(self.next_look - now)
                continue
            queue = listen_queue(self.port)
            if queue is None:
                self.budget, self.next_look = CONNECT_WAVE, now + CONNECT_PAUSE_S
            else:
                waiting, limit = queue
                self.budget, self.next_look = max(0, int(limit * BACKLOG_FILL) - waiting), now + PACE_POLL_S
        self.budget -= 1


def settle(job: BurstJob, last_burst: int) -> None:
    """Let the server end the last burst's connections before the next burst connects (see SETTLE_PER_REQUEST_S)."""
    pause_s = last_burst * SETTLE_PER_REQUEST_S
    if listen_queue(urlsplit(job.url).port or 80) is not None:
        pause_s = min(pause_s, SETTLE_SEEN_MAX_S)
    gevent.sleep(pause_s)


def release_margin_s(requests: int) -> float:
    return RELEASE_MIN_S + RELEASE_PER_REQUEST_S * requests


def next_margin_s(records: tuple[RequestTiming, ...], margin_s: float, requests: int) -> float:
    """The release margin for the next burst of `requests`: what the server's admissions in `records` (a burst
    released `margin_s` after its gate opened) say it needs, never less than the default."""
    admitted = sorted(r.server.admitted_s for r in records if r.server and r.server.admitted_s is not None)
    released = next((r.released_s for r in records if r.released_s is not None), None)
    if len(admitted) < 2 or released is None:
        return max(margin_s, release_margin_s(requests))
    opened = released - margin_s
    before = [a for a in admitted if a <= released] or admitted[:1]
    per_request = (before[-1] - opened) / len(before)
    needed = RELEASE_SAFETY * per_request * requests
    return min(RELEASE_MAX_S, max(release_margin_s(requests), needed))


class Gate:
    """Holds every request until all `expected` are connected and ready (or GATE_WAIT_S passed), then sends
    them all from one greenlet in a tight loop: waking each request's greenlet to send its own would put
    its response handling between two releases.

    With a `release_margin_s`, the requests also tell the server when they may enter the app: that long
    after the gate opens (written into their release header as they are sent). The server's accept loop and
    parser admit them meanwhile, and the middleware lets them into the app together."""

    def __init__(self, expected: int, release_margin_s: float | None = None, pacer: Pacer | None = None) -> None:
        self.expected = expected
        self.pacer = pacer
        self.arrived = 0
        self.held: list[tuple[socket.socket, bytes, TimingAdapter]] = []
        self.opened = gevent.event.Event()
        self.release_margin_s = release_margin_s
        self.release_s: float | None = None
        self.release_bytes = b""

    def stamped(self, data: bytes) -> bytes:
        """The request with the burst's release in place of the placeholder (once the gate is open)."""
        return data.replace(PLACEHOLDER_BYTES, self.release_bytes, 1) if self.release_bytes else data

    def arrive(self) -> None:
        """A request is held, or failed before it could be: it no longer keeps the gate shut."""
        self.arrived += 1
        if self.arrived >= self.expected:
            self.open()

    def hold(self, sock: socket.socket, data: bytes, adapter: TimingAdapter) -> None:
        """Send `data` when the gate opens (at once if it is open already), and wait until then."""
        if self.opened.is_set():
            adapter.release(sock, self.stamped(data), self.release_s)
            return
        self.held.append((sock, data, adapter))
        adapter.arrive()
        if not self.opened.wait(GATE_WAIT_S):
            self.open()

    def open(self) -> None:
        if self.opened.is_set():
            return
        if self.release_margin_s is not None:
            self.release_s = time.monotonic() + self.release_margin_s
            self.release_bytes = format_release(self.release_s).encode()
        self.opened.set()  # first: a request that arrives while we send goes out on its own
        for sock, data, adapter in self.held:
            adapter.release(sock, self.stamped(data), self.release_s)
        self.held.clear()


class HeldConnection(HTTPConnection):
    """An HTTP connection that connects, writes its request into a buffer, and leaves the sending to the gate."""

    def __init__(self, *args: Any, gate: Gate, adapter: TimingAdapter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = gate
        self._adapter = adapter
        self._held: list[bytes] | None = None

    def send(self, data: Any) -> None:
        if self._held is None:
            super().send(data)
        else:
            self._held.append(bytes(data))

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        try:
            if self.sock is None:
                if self._gate.pacer is not None:
                    self._gate.pacer.wait()
                self.connect()
            self._held = []
            try:
                super().request(method, url, body=body, headers=headers, **kwargs)
                data = b"".join(self._held)
            finally:
                self._held = None
        except BaseException:
            self._adapter.arrive()  # a request that failed to connect must not keep the gate shut
            raise
        assert self.sock is not None
        self._gate.hold(self.sock, data, self._adapter)


class TimingAdapter(HTTPAdapter):
    """One request's adapter: holds it at the gate, records its release and when its body has been read."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(max_retries=0)
        self.gate = gate
        self.arrived = False
        self.sent_s: float | None = None
        self.released_s: float | None = None
        self.done_s: float | None = None
        self.body_bytes = 0
        connection = functools.partial(HeldConnection, gate=gate, adapter=self)
        pool = type("HeldPool", (HTTPConnectionPool,), {"ConnectionCls": connection})
        self.poolmanager.pool_classes_by_scheme = {"http": pool}

    def arrive(self) -> None:
        if not self.arrived:
            self.arrived = True
            self.gate.arrive()

    def release(self, sock: socket.socket, data: bytes, released_s: float | None) -> None:
        self.sent_s = time.monotonic()
        self.released_s = released_s
        # A server that closed the connection already is reported when the response is read.
        with contextlib.suppress(OSError):
            sock.sendall(data)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["stream"] = True  # requests' Session passes everything by keyword
        # `timeout` bounds each socket read; this bounds the whole request, so that a body that streams a
        # byte now and then cannot hold the burst for ever. It counts from here: add the connect wave's
        # delay and the longest wait at the gate.
        whole_s = float(kwargs.get("timeout") or 0) + GATE_WAIT_S + PACE_WAIT_MAX_S
        timer = gevent.Timeout(whole_s)  # a BaseException: urllib3 cannot wrap it into a "connection broken"
        timer.start()
        try:
            response = super().send(request, *args, **kwargs)
            # The body belongs to the timed span, but is counted and dropped, never kept or decoded: N large
            # bodies would fill the client's memory, and a body that does not decode is still an answer.
            for chunk in response.raw.stream(BODY_CHUNK_BYTES, decode_content=False):
                self.body_bytes += len(chunk)
            response._content = b""
            return response
        except gevent.Timeout as expired:
            if expired is not timer:
                raise
            raise requests.exceptions.ReadTimeout(f"no complete answer within {whole_s:g} s") from None
        finally:
            timer.close()
            self.done_s = time.monotonic()
            self.arrive()


def _session(gate: Gate) -> tuple[requests.Session, TimingAdapter]:
    session = requests.Session()
    session.trust_env = False  # never route loopback through a proxy from the environment
    adapter = TimingAdapter(gate)
    session.mount("http://", adapter)
    return session, adapter


def _server_timing(response: requests.Response | None) -> tuple[ServerTiming | None, str | None]:
    """The middleware's record of the request, or why its header could not be read (None, None: no header)."""
    if response is None or SERVER_TIMING_HEADER not in response.headers:
        return None, None
    value = response.headers[SERVER_TIMING_HEADER]
    try:
        return ServerTiming.from_header(value), None
    except ValueError as exc:
        return None, f"{exc} in {value[:ERROR_TEXT_LIMIT]!r}"[:ERROR_TEXT_LIMIT]


def _record(adapter: TimingAdapter, response: requests.Response | None, error: BaseException | None) -> RequestTiming:
    now = time.monotonic()
    server, timing_error = _server_timing(response)
    return RequestTiming(
        sent_s=adapter.sent_s if adapter.sent_s is not None else now,
        done_s=adapter.done_s if adapter.done_s is not None else now,
        status=response.status_code if response is not None else None,
        error=f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT] if error is not None else None,
        server=server,
        body_bytes=adapter.body_bytes,
        timing_error=timing_error,
        released_s=adapter.released_s,
    )


def _request_kwargs(job: BurstJob, released: bool = False) -> dict[str, Any]:
    # Connection: close gives every request its own connection, as in a burst of separate clients, and
    # keeps an idle keep-alive connection from holding a single-threaded server.
    headers = {**job.headers, "Connection": "close"}
    if released:
        headers[RELEASE_HEADER] = RELEASE_PLACEHOLDER
    body = job.body.encode() if job.body is not None else None  # as UTF-8: http.client would try Latin-1
    return {"headers": headers, "data": body, "timeout": job.timeout_s, "allow_redirects": False}


def one_request(job: BurstJob) -> tuple[RequestTiming, bool]:
    """One request alone; True when it timed out."""
    session, adapter = _session(Gate(1))
    response, error = None, None
    try:
        response = session.request(job.method, job.url, **_request_kwargs(job))
    except Exception as exc:  # recorded, not raised: a failed request is a result
        error = exc
    finally:
        session.close()
    return _record(adapter, response, error), isinstance(error, requests.Timeout)


def burst(job: BurstJob, count: int, margin_s: float) -> tuple[tuple[RequestTiming, ...], bool]:
    """`count` requests released together at the gate, let into the app `margin_s` later; grequests runs them,
    one greenlet each. True when one of them timed out."""
    gate = Gate(count, margin_s, Pacer(urlsplit(job.url).port or 80))
    sessions = [_session(gate) for _ in range(count)]
    pending = [
        grequests.AsyncRequest(job.method, job.url, session=session, **_request_kwargs(job, released=True))
        for session, _ in sessions
    ]
    grequests.map(pending, size=None, exception_handler=lambda request, exc: None)
    records = tuple(
        _record(adapter, req.response, getattr(req, "exception", None))
        for req, (_, adapter) in zip(pending, sessions, strict=True)
    )
    for session, _ in sessions:
        session.close()
    timed_out = any(isinstance(getattr(req, "exception", None), requests.Timeout) for req in pending)
    return records, timed_out


def _progress(text: str) -> None:
    """A status line for the orchestrator's live progress (stderr; it tells them from error output)."""
    print(f"{PROGRESS_PREFIX}{text}", file=sys.stderr, flush=True)


def run(job: BurstJob) -> WorkerOutput:
    """A warm-up burst, calibration, then the bursts. At the first request that times out the worker stops: a
    hanging handler would otherwise cost every remaining request's timeout."""
    calibration: list[RequestTiming] = []
    bursts: list[tuple[RequestTiming, ...]] = []
    _progress(f"warming up: {job.warm_up_requests} requests")
    # Untimed: wake every worker (lazy imports, pools, first connections) before anything is measured.
    margin_s = release_margin_s(job.warm_up_requests)
    if job.warm_up_requests > 1:
        warm_up, late = burst(job, job.warm_up_requests, margin_s)
        margin_s = next_margin_s(warm_up, margin_s, job.requests)
    else:
        _, late = one_request(job)
        margin_s = release_margin_s(job.requests)
    timed_out: str | None = "the warm-up" if late else None
    if timed_out is None:
        _progress(f"calibrating: {job.calibration_requests} requests one at a time")
        settle(job, job.warm_up_requests)
    for number in range(1, job.calibration_requests + 1):
        if timed_out is not None:
            break
        timing, late = one_request(job)
        calibration.append(timing)
        if late:
            timed_out = f"calibration request {number}"
    for number in range(1, job.repeats + 1):
        if timed_out is not None:
            break
        if number > 1:
            settle(job, job.requests)
        _progress(f"burst {number} of {job.repeats} ({job.requests} requests)")
        records, late = burst(job, job.requests, margin_s)
        margin_s = next_margin_s(records, margin_s, job.requests)
        bursts.append(records)
        timed_out = f"burst {number}" if late else None
    return WorkerOutput(
        calibration=tuple(calibration),
        bursts=tuple(bursts),
        client_peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        timed_out=timed_out,
    )


def main() -> int:
    # A burst opens N sockets at once; lift the soft descriptor limit to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    # On failure keep the soft limit; a too-large burst then reports its socket errors.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    job = BurstJob.from_json(json.load(sys.stdin))
    json.dump(run(job).to_json(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
