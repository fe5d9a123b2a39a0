"""The burst client, run as its own process: `python -m checker.burst_worker` reads a JSON job on stdin
and writes JSON timings on stdout.

grequests monkey-patches the whole interpreter with gevent on import, which breaks threads, subprocesses
and other libraries; so it is imported here, in a process that does nothing else, and never by the
orchestrating process (tests/test_requester.py checks that).
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from typing import Any

import grequests  # patches sockets with gevent on import
import requests
from requests.adapters import HTTPAdapter

from checker.middleware import SERVER_TIMING_HEADER

ERROR_TEXT_LIMIT = 300


class TimingAdapter(HTTPAdapter):
    """Records when the request really starts (connect) and when its body has been read."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.sent_s: float | None = None
        self.done_s: float | None = None

    def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent_s = time.monotonic()
        try:
            response = super().send(request, *args, **kwargs)
            _ = response.content  # the body belongs to the timed span
            return response
        finally:
            self.done_s = time.monotonic()


def _session() -> tuple[requests.Session, TimingAdapter]:
    session = requests.Session()
    session.trust_env = False  # never route loopback through a proxy from the environment
    adapter = TimingAdapter()
    session.mount("http://", adapter)
    return session, adapter


def _record(adapter: TimingAdapter, response: requests.Response | None, error: BaseException | None) -> dict[str, Any]:
    now = time.monotonic()
    server = None
    if response is not None and SERVER_TIMING_HEADER in response.headers:
        try:
            server = json.loads(response.headers[SERVER_TIMING_HEADER])
        except ValueError:
            server = None
    return {
        "sent_s": adapter.sent_s if adapter.sent_s is not None else now,
        "done_s": adapter.done_s if adapter.done_s is not None else now,
        "status": response.status_code if response is not None else None,
        "error": f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT] if error is not None else None,
        "server": server,
    }


def _request_kwargs(job: dict[str, Any]) -> dict[str, Any]:
    # Connection: close gives every request its own connection, as in a burst of separate clients, and
    # keeps an idle keep-alive connection from holding a single-threaded server.
    headers = {**job["headers"], "Connection": "close"}
    return {"headers": headers, "data": job["body"], "timeout": job["timeout_s"], "allow_redirects": False}


def one_request(job: dict[str, Any]) -> dict[str, Any]:
    session, adapter = _session()
    response, error = None, None
    try:
        response = session.request(job["method"], job["url"], **_request_kwargs(job))
    except Exception as exc:  # recorded, not raised: a failed request is a result
        error = exc
    finally:
        session.close()
    return _record(adapter, response, error)


def burst(job: dict[str, Any]) -> list[dict[str, Any]]:
    """N requests at once: all prepared first, then sent together by grequests with an unbounded pool."""
    sessions = [_session() for _ in range(job["requests"])]
    pending = [
        grequests.AsyncRequest(job["method"], job["url"], session=session, **_request_kwargs(job))
        for session, _ in sessions
    ]
    grequests.map(pending, size=None, exception_handler=lambda request, exc: None)
    records = [
        _record(adapter, req.response, getattr(req, "exception", None))
        for req, (_, adapter) in zip(pending, sessions, strict=False)
    ]
    for session, _ in sessions:
        session.close()
    return records


def run(job: dict[str, Any]) -> dict[str, Any]:
    calibration = [one_request(job) for _ in range(job["calibration_requests"])]
    one_request(job)  # untimed warm-up: wake the server (lazy imports, pools) before the bursts
    bursts = [burst(job) for _ in range(job["repeats"])]
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"calibration": calibration, "bursts": bursts, "client_peak_rss_kib": peak_rss_kib}


def main() -> int:
    # A burst opens N sockets at once; lift the soft descriptor limit to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    # On failure keep the soft limit; a too-large burst then reports its socket errors.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    job = json.load(sys.stdin)
    json.dump(run(job), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
