"""Hand-made bursts on a fake clock, as the middleware and the client would have recorded them.

Each builder returns a Measurement for one truth: what the server and the app let run at once is known by
construction, so the estimator, the verdict and the diagnosis can be checked without servers or sleeps.
"""

from __future__ import annotations

import heapq

from checker.wire import Measurement, RequestTiming, ServerTiming

T0 = 100.0  # the burst's release on the fake clock
PID = 4000
OVERHEAD_S = 0.001  # client and network time around each request's time in the app


def request(enter: float, exit: float, *, pid: int = PID, thread: int, cpu: float | None = None) -> RequestTiming:
    server = ServerTiming(pid=pid, thread_id=thread, enter_s=enter, exit_s=exit, cpu_s=cpu if cpu is not None else 0.0)
    return RequestTiming(sent_s=T0, done_s=exit + OVERHEAD_S, status=200, error=None, server=server)


def calibration(handler_s: float, cpu_share: float = 0.01, count: int = 3) -> tuple[RequestTiming, ...]:
    """Requests served alone, one after another, before the bursts."""
    alone = []
    for i in range(count):
        enter = 10.0 + i
        timing = request(enter, enter + handler_s, thread=1, cpu=cpu_share * handler_s)
        alone.append(RequestTiming(enter - OVERHEAD_S, timing.done_s, 200, None, timing.server))
    return tuple(alone)


def measure(burst: tuple[RequestTiming, ...], handler_s: float, cpu_share: float = 0.01) -> Measurement:
    return Measurement(calibration=calibration(handler_s, cpu_share), bursts=(burst, burst, burst))


def thread_per_request(n: int, handler_s: float, stagger_s: float = 0.0) -> tuple[RequestTiming, ...]:
    """Nothing limits the burst: request i enters i * stagger_s after the first and runs handler_s."""
    return tuple(request(T0 + i * stagger_s, T0 + i * stagger_s + handler_s, thread=100 + i) for i in range(n))


def queue_in_app(n: int, handler_s: float, k: int, stagger_s: float = 0.0) -> tuple[RequestTiming, ...]:
    """A thread per request, and inside the app a lock (k=1) or semaphore of k served first come first served."""
    free = [T0] * k
    timings = []
    for i in range(n):
        enter = T0 + i * stagger_s
        start = max(enter, heapq.heappop(free))
        heapq.heappush(free, start + handler_s)
        timings.append(request(enter, start + handler_s, thread=100 + i))
    return tuple(timings)


def worker_pool(n: int, handler_s: float, k: int, *, processes: bool = False) -> tuple[RequestTiming, ...]:
    """k workers in the server, each taking the next request when it is free (gunicorn, waitress)."""
    timings = []
    for i in range(n):
        worker = i % k
        enter = T0 + (i // k) * handler_s
        pid = PID + worker if processes else PID
        timings.append(request(enter, enter + handler_s, pid=pid, thread=100 + worker))
    return tuple(timings)


def process_per_request(n: int, handler_s: float, k: int) -> tuple[RequestTiming, ...]:
    """A process forked for each request, at most k alive at once (werkzeug processes=k)."""
    return tuple(
        request(T0 + (i // k) * handler_s, T0 + (i // k + 1) * handler_s, pid=PID + 1 + i, thread=1) for i in range(n)
    )


def gil_shared(n: int, handler_s: float) -> tuple[RequestTiming, ...]:
    """CPU-bound threads under the GIL: all progress together on one core and finish together."""
    return tuple(request(T0, T0 + n * handler_s, thread=100 + i, cpu=handler_s) for i in range(n))


def cpu_on_cores(n: int, handler_s: float, cores: int) -> tuple[RequestTiming, ...]:
    """CPU-bound requests in a process each, `cores` of them running at once."""
    return tuple(
        request(T0 + (i // cores) * handler_s, T0 + (i // cores + 1) * handler_s, pid=PID + i, thread=1, cpu=handler_s)
        for i in range(n)
    )
