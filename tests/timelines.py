"""Hand-made bursts on a fake clock, as the middleware and the client would have recorded them.

Each builder returns a Measurement for one truth: what the server and the app let run at once is known by
construction, so the estimator, the verdict and the diagnosis can be checked without servers or sleeps.
"""

from __future__ import annotations

import heapq
from dataclasses import replace
from typing import Any

from checker.wire import Measurement, RequestTiming, ServerTiming

T0 = 100.0  # the burst's release on the fake clock
PID = 4000
OVERHEAD_S = 0.001  # client and network time around each request's time in the app


def request(
    enter: float, exit: float, *, pid: int = PID, thread: int, cpu: float | None = None, **server: Any
) -> RequestTiming:
    """One request as the middleware and the client saw it; `server` adds ServerTiming's optional fields."""
    timing = ServerTiming(
        pid=pid, thread_id=thread, enter_s=enter, exit_s=exit, cpu_s=cpu if cpu is not None else 0.0, **server
    )
    return RequestTiming(sent_s=T0, done_s=exit + OVERHEAD_S, status=200, error=None, server=timing)


def calibration(
    handler_s: float, cpu_share: float = 0.01, count: int = 3, blocks_loop: bool = False
) -> tuple[RequestTiming, ...]:
    """Requests served alone, one after another, before the bursts; with `blocks_loop`, on an event loop that
    each of them held all along (a blocking call in `async def`)."""
    alone = []
    for i in range(count):
        enter = 10.0 + i
        loop = {"loop_blocked_enter_s": i * handler_s, "loop_blocked_exit_s": (i + 1) * handler_s}
        timing = request(enter, enter + handler_s, thread=1, cpu=cpu_share * handler_s, **(loop if blocks_loop else {}))
        alone.append(RequestTiming(enter - OVERHEAD_S, timing.done_s, 200, None, timing.server))
    return tuple(alone)


def measure(
    burst: tuple[RequestTiming, ...], handler_s: float, cpu_share: float = 0.01, blocks_loop: bool = False
) -> Measurement:
    return Measurement(calibration=calibration(handler_s, cpu_share, blocks_loop=blocks_loop), bursts=(burst,) * 3)


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


def _with_peers(timings: list[RequestTiming], progressed: bool) -> tuple[RequestTiming, ...]:
    """The middleware's evidence from inside: at each answer, the others still in the app, and whether they had
    made progress meanwhile (took turns at the GIL) or not (waited behind a lock)."""
    out = []
    for timing in timings:
        assert timing.server is not None
        inside = [
            t
            for t in timings
            if t is not timing and t.server and t.server.enter_s <= timing.server.exit_s < t.server.exit_s
        ]
        peers = min(len(inside), 16)
        server = replace(timing.server, peers=peers, peers_progressed=peers if progressed else 0)
        out.append(replace(timing, server=server))
    return tuple(out)


def gil_turns(n: int, handler_s: float) -> tuple[RequestTiming, ...]:
    """CPU-bound threads taking turns at the GIL: all enter at once, each leaves when its work is done, after
    the others' turns (they leave one after another, a handler time apart), and all progressed meanwhile."""
    timings = [request(T0, T0 + (i + 1) * handler_s, thread=100 + i, cpu=handler_s) for i in range(n)]
    return _with_peers(timings, progressed=True)


def lock_around_cpu(n: int, handler_s: float) -> tuple[RequestTiming, ...]:
    """The same CPU-bound work behind one lock: the same exits, but the waiting requests made no progress."""
    timings = [request(T0, T0 + (i + 1) * handler_s, thread=100 + i, cpu=handler_s) for i in range(n)]
    return _with_peers(timings, progressed=False)


def answered_at_cpu_pace(n: int, handler_s: float, answer_s: float, progressed: bool) -> tuple[RequestTiming, ...]:
    """All enter at once and wait `handler_s` together (a sleep); then each takes `answer_s` of the process's
    only core to answer, one after another: for the GIL (the others progressed meanwhile) or for a lock around
    that work (they did not). The process's CPU clock moves all along from the first answer to the last."""
    timings = [
        request(
            T0,
            T0 + handler_s + (i + 1) * answer_s,
            thread=100 + i,
            cpu=answer_s,
            process_cpu_exit_s=(i + 1) * answer_s,
        )
        for i in range(n)
    ]
    return _with_peers(timings, progressed)


def one_at_a_time_alone(n: int, handler_s: float) -> tuple[RequestTiming, ...]:
    """CPU-bound requests that a busy machine let into the app one by one, each done before the next got a CPU:
    nothing limited them that the burst could see, and no two met inside the app (no peers to sample)."""
    return tuple(
        request(T0 + i * 1.1 * handler_s, T0 + (i * 1.1 + 1) * handler_s, thread=100 + i, cpu=handler_s)
        for i in range(n)
    )


def lock_around_cpu_preempted(n: int, cpu_s: tuple[float, ...], stretch: float) -> tuple[RequestTiming, ...]:
    """A lock around CPU-bound work on a busy machine: each holder runs its own CPU time (`cpu_s`, in turn: the
    machine's speed changes), stretched by preemption; the waiters make no progress."""
    timings, at = [], T0
    for i in range(n):
        at += stretch * cpu_s[i % len(cpu_s)]
        timings.append(request(T0, at, thread=100 + i, cpu=cpu_s[i % len(cpu_s)]))
    return _with_peers(timings, progressed=False)


def lock_with_backoff(n: int, handler_s: float, idle_s: float) -> tuple[RequestTiming, ...]:
    """A lock whose waiters sleep between tries (SQLite's busy handler): one holder at a time, and the lock sits
    unclaimed for `idle_s` between holders."""
    return tuple(
        request(T0, T0 + (i + 1) * handler_s + i * idle_s, thread=100 + i, cpu=0.1 * handler_s) for i in range(n)
    )


def processes_sharing_cores(n: int, handler_s: float, processes: int, cores: int) -> tuple[RequestTiming, ...]:
    """CPU-bound requests in `processes` workers on `cores` cores: each wave of `processes` runs together, each
    request taking processes / cores times its time alone."""
    took = handler_s * processes / cores
    return tuple(
        request(
            T0 + (i // processes) * took,
            T0 + (i // processes + 1) * took,
            pid=PID + i % processes,
            thread=1,
            cpu=handler_s,
        )
        for i in range(n)
    )


def blocked_loop(n: int, handler_s: float) -> tuple[RequestTiming, ...]:
    """An `async def` with a blocking call on one event loop (as Quart runs it): every request entered at once
    and was answered at the end, and the loop was blocked all along."""
    end = T0 + n * handler_s
    return tuple(
        request(T0, end, thread=1, cpu=0.001, loop_blocked_enter_s=0.0, loop_blocked_exit_s=n * handler_s)
        for _ in range(n)
    )


def blocked_loops_waiting_for_a_cpu(n: int, handler_s: float, workers: int) -> tuple[RequestTiming, ...]:
    """A blocking call in `async def` on `workers` event loops of a busy machine: each loop takes its next
    request only after the last one's answer, and two handler times later (waiting for a CPU), so its
    heartbeat was late for less than half of its part of the burst."""
    timings = []
    for i in range(n):
        start = T0 + (i // workers) * 3 * handler_s
        blocked = {
            "loop_blocked_enter_s": (i // workers) * handler_s,
            "loop_blocked_exit_s": (i // workers + 1) * handler_s,
        }
        timings.append(request(start, start + handler_s, pid=PID + i % workers, thread=1, cpu=0.001, **blocked))
    return tuple(timings)


def anyio_pool(n: int, handler_s: float, size: int) -> tuple[RequestTiming, ...]:
    """`def` endpoints in anyio's thread pool of `size` on one event loop: the first `size` run at once, the rest
    wait for a thread; the pool is full, with tasks waiting, at the first wave's answers."""
    return tuple(
        request(
            T0,
            T0 + (i // size + 1) * handler_s,
            thread=1,
            cpu=0.0005,
            loop_blocked_enter_s=0.0,
            loop_blocked_exit_s=0.0,
            pool_size=size,
            pool_borrowed=size if i < size else n - size,
            pool_waiting=max(0, n - size - i) if i < size else 0,
        )
        for i in range(n)
    )


def workers_preempted(handler_s: float) -> tuple[RequestTiming, ...]:
    """Four single-threaded workers (gunicorn sync 4) beside CPU hogs, as measured (ms from the release, a 5 ms
    sleep): the busy machine kept two requests from a CPU after their sleep (8-9 ms in the app) and the workers
    from accepting their next connection at once. The extra time was spent runnable, waiting for a CPU."""
    measured = [  # (worker, enter, exit) in ms
        (0, 0.0, 5.3), (1, 0.2, 6.0), (2, 0.2, 8.4), (3, 0.3, 9.0), (0, 11.4, 16.5),
        (1, 16.2, 21.3), (3, 16.2, 21.4), (2, 16.8, 22.0), (0, 17.4, 26.7), (1, 22.9, 28.0),
    ]  # fmt: skip
    timings = []
    for worker, enter_ms, exit_ms in measured:
        enter, exit = T0 + enter_ms * handler_s / 5, T0 + exit_ms * handler_s / 5
        waited = max(0.0, exit - enter - handler_s)
        timings.append(
            request(
                enter, exit, pid=PID + worker, thread=100 + worker, cpu=handler_s / 50, admitted_s=enter,
                cpu_wait_enter_s=1.0, cpu_wait_exit_s=1.0 + waited,
            )
        )  # fmt: skip
    return tuple(timings)


def loop_preempted() -> tuple[RequestTiming, ...]:
    """One uvicorn worker beside CPU hogs, as measured (ms from the first entry, a 5 ms asyncio.sleep that took
    5.8 ms alone): the busy machine kept the event loop from a CPU for 5.4 ms while the last five requests were
    in the app."""
    measured = [  # (enter, exit, the loop's wait for a CPU meanwhile) in ms
        (0.0, 5.86, 0.0), (0.47, 6.39, 0.0), (0.57, 6.65, 0.0), (0.66, 6.86, 0.0), (0.74, 7.06, 0.0),
        (0.96, 13.13, 5.43), (1.08, 13.51, 5.43), (1.16, 13.96, 5.43), (1.23, 14.23, 5.43), (1.30, 14.43, 5.43),
    ]  # fmt: skip
    return tuple(
        request(
            T0 + enter / 1000, T0 + exit / 1000, thread=1, cpu=0.0002, admitted_s=T0,
            loop_cpu_wait_enter_s=1.0, loop_cpu_wait_exit_s=1.0 + waited / 1000,
        )
        for enter, exit, waited in measured
    )  # fmt: skip
