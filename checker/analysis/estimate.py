"""The concurrency the server and the app allowed, estimated from the middleware's timings (pure: no I/O,
no clocks; tests feed hand-made timings).

Client-side C = N * L1 / W charges every per-request cost that the machine serializes (the client's work,
the server's accept loop and request parsing under one GIL) to the app. This estimate looks instead for
the three things that really limit a burst, each where it leaves its mark, and takes the tightest:

- a queue inside the app (a lock, a semaphore, a pool of connections): requests spend longer in the app
  than alone because they wait their turn. Each request's service is the last `alone_s` of its time in the
  app; while some requests queue, the number in service at once is the app's limit k (1 for a lock).
  Waits shorter than half a service time are noise (GIL hand-offs, scheduling), not a queue; and a queue
  keeps the app busy at a steady level, so "waiting" while the app sat idle, or beside a ragged number in
  service, is the machine's slowness, not a queue.
- a cap in the server in front of the app: a pool of workers that every request had to pass through (the
  same workers served several requests, and all of them were busy at once), or a process forked per
  request with at most k alive: k is the most requests that were inside the app at the same time.
- for CPU-bound handlers, the CPU: handler CPU time over the burst's span is how many cores' worth of
  work ran in parallel (about 1 under the GIL, up to the cores with processes). Such requests share
  cores rather than queue, so for them the queue model above is not used.

When none of them shows, nothing limited the burst: the estimate is N. That conclusion needs requests to
have been served together in the first place, so `overlap` (the most in service at once) is reported for
the verdict's measurability check: a limit of k shows only where more than k were served together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from checker.wire import ServerTiming

# A request queued inside the app when it spent more than (1 + this) x its time alone there: smaller
# excesses come from GIL hand-offs and scheduling under load, not from waiting for a resource.
QUEUE_TOLERANCE = 0.5
# A queue is the app's limit only when at least this share of the burst waited in it; a few stragglers
# delayed by the scheduler are not a lock. (A lock or semaphore of k < N makes (N - k) / N wait.)
QUEUED_SHARE_MIN = 0.2
# A queue is work-conserving: while requests wait for a lock or a semaphore, the holder is being served.
# Requests that look queued while the app sat idle for more than this share of the time were slowed by the
# machine (scheduling, forks under load), not by a queue. Measured: real queues at most 0.12, also with two
# CPU hogs; load-inflated forks a median 0.46.
QUEUE_IDLE_SHARE_MAX = 0.25
# A handler whose lone request keeps its thread on the CPU for at least this share of its time is
# CPU-bound; sleeping or waiting handlers measure a few percent.
CPU_BOUND_SHARE = 0.5
# Requests "finished one by one" when at least this share of the gaps between consecutive exits lasts half a
# service time or more: behind a lock every gap is one service time (measured: 100%); under the GIL requests
# progress together and bunch up at the end (measured: 33-90%).
ONE_BY_ONE_SHARE = 0.95
# A queue serves a steady number while others wait (a lock 1, a semaphore of k always k: measured p50 =
# p90); scheduling noise that pushed some requests past the tolerance leaves a ragged level instead
# (measured p50 14-22, p90 28-40 for a healthy app at 5 ms x 50). The 90th percentile of the level may
# exceed the median by at most this share of it, or by one request.
STEADY_LEVEL_SLACK = 0.25
# An app limit below this is "one at a time" (the same bound as `expect: serialized`).
ONE_AT_A_TIME_MAX = 1.5

LimitedBy = Literal["app", "server", "cpu", "nothing"]


@dataclass(frozen=True)
class AllowedConcurrency:
    """The estimate for one burst, with the figure behind each bound (None: that bound did not show)."""

    value: float  # what the verdict uses: the tightest bound, or N when nothing limited the burst
    limited_by: LimitedBy
    app_limit: float | None  # requests in service at once while others queued inside the app
    server_cap: int | None  # a pool or per-request processes in front of the app
    cpu_parallelism: float | None  # CPU-bound handlers: cores' worth of handler CPU during the burst
    queued_share: float  # share of requests that queued inside the app
    overlap: int  # most requests in service at once (the last alone_s of each one's time inside the app)
    finished_one_by_one: bool  # exits came one service time apart (a lock), not bunched (the GIL)


def admitted_concurrency(intervals: Sequence[tuple[float, float]]) -> int:
    """Most intervals open at one instant (an interval ending exactly when another starts does not overlap)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    inside = peak = 0
    for _, step in events:  # at equal times, -1 sorts before +1
        inside += step
        peak = max(peak, inside)
    return peak


def queued(timing: ServerTiming, alone_s: float) -> bool:
    return timing.in_app_s > (1 + QUEUE_TOLERANCE) * alone_s


def app_limit(timings: Sequence[ServerTiming], alone_s: float) -> float | None:
    """Time-average number of requests in service while at least one queued; None without a real queue."""
    waiting = [t for t in timings if queued(t, alone_s)]
    if len(waiting) < QUEUED_SHARE_MIN * len(timings):
        return None
    # (time, change in "queued now", change in "in service now")
    events: list[tuple[float, int, int]] = []
    for t in timings:
        service_start = max(t.enter_s, t.exit_s - alone_s)
        events += [(service_start, 0, 1), (t.exit_s, 0, -1)]
    for t in waiting:
        events += [(t.enter_s, 1, 0), (t.exit_s - alone_s, -1, 0)]
    events.sort(key=lambda e: (e[0], e[1] + e[2]))  # ends before starts at the same instant
    queue = serving = 0
    last = events[0][0]
    levels: list[tuple[int, float]] = []  # (number in service, for how long) while someone queued
    for when, dq, ds in events:
        if queue > 0 and when > last:
            levels.append((serving, when - last))
        queue += dq
        serving += ds
        last = when
    congested_s = sum(duration for _, duration in levels)
    idle_s = sum(duration for level, duration in levels if level == 0)
    if congested_s <= 0 or idle_s > QUEUE_IDLE_SHARE_MAX * congested_s:
        return None
    median, high = _level_at(levels, 0.5), _level_at(levels, 0.9)
    if high > median + max(1.0, STEADY_LEVEL_SLACK * median):
        return None
    limit = sum(level * duration for level, duration in levels) / congested_s
    # One at a time is a lock only if the requests left it one service time apart; delays that the machine
    # added (forks and wake-ups under load) leave them bunched and uneven instead.
    if limit < ONE_AT_A_TIME_MAX and not finished_one_by_one(timings, alone_s):
        return None
    return limit


def _level_at(levels: list[tuple[int, float]], fraction: float) -> int:
    """The level that `levels` (level, duration) stay at or below for `fraction` of their total time."""
    total = sum(duration for _, duration in levels)
    passed = 0.0
    for level, duration in sorted(levels):
        passed += duration
        if passed >= fraction * total:
            return level
    return max(level for level, _ in levels)


def server_cap(timings: Sequence[ServerTiming]) -> int | None:
    """The cap of a worker pool or of per-request processes in front of the app; None when none showed."""
    admitted = admitted_concurrency([(t.enter_s, t.exit_s) for t in timings])
    if admitted >= len(timings):
        return None
    workers: dict[tuple[int, int], int] = {}
    for t in timings:
        workers[(t.pid, t.thread_id)] = workers.get((t.pid, t.thread_id), 0) + 1
    # A pool: workers took a second request, and every worker that served was busy at one moment.
    if max(workers.values()) > 1 and len(workers) <= admitted:
        return admitted
    # A process per request (werkzeug processes=N): at most `admitted` of them were alive at once.
    if len({t.pid for t in timings}) == len(timings):
        return admitted
    return None  # a thread per request: requests entered as fast as the server took them


def cpu_parallelism(timings: Sequence[ServerTiming]) -> float:
    """Handler CPU time over the span from the first entry to the last exit: cores' worth of work at once."""
    span = max(t.exit_s for t in timings) - min(t.enter_s for t in timings)
    return sum(t.cpu_s for t in timings) / span if span > 0 else float(len(timings))


def finished_one_by_one(timings: Sequence[ServerTiming], alone_s: float) -> bool:
    exits = sorted(t.exit_s for t in timings)
    gaps = [later - earlier for earlier, later in pairwise(exits)]
    return bool(gaps) and sum(gap >= alone_s / 2 for gap in gaps) >= ONE_BY_ONE_SHARE * len(gaps)


def allowed_concurrency(timings: Sequence[ServerTiming], alone_s: float, cpu_bound: bool) -> AllowedConcurrency:
    """Estimate for one burst; `alone_s` is a request's time in the app when served alone (calibration)."""
    n = len(timings)
    bounds: list[tuple[float, LimitedBy]] = []
    # CPU-bound requests slow each other down by sharing cores, not by queueing: the queue model does not apply.
    app = None if cpu_bound else app_limit(timings, alone_s)
    if app is not None:
        bounds.append((app, "app"))
    cap = server_cap(timings)
    if cap is not None:
        bounds.append((float(cap), "server"))
    cpu = cpu_parallelism(timings) if cpu_bound else None
    if cpu is not None:
        bounds.append((cpu, "cpu"))
    value, limited_by = min(bounds, default=(float(n), "nothing"))
    return AllowedConcurrency(
        value=min(max(value, 1.0), float(n)),
        limited_by=limited_by,
        app_limit=app,
        server_cap=cap,
        cpu_parallelism=cpu,
        queued_share=sum(queued(t, alone_s) for t in timings) / n,
        overlap=admitted_concurrency([(max(t.enter_s, t.exit_s - alone_s), t.exit_s) for t in timings]),
        finished_one_by_one=finished_one_by_one(timings, alone_s),
    )
