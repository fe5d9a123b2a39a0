"""The concurrency the server and the app allowed, estimated from the middleware's timings (pure: no I/O,
no clocks; tests feed hand-made timings).

The question is structural: were requests served together, or did one wait its turn behind another? Client-
side C = N * L1 / W charges every per-request cost that the machine serializes (the client's work, the
server's accept loop and parser under one GIL) to the app; how much CPU runs in parallel (the GIL, the
cores) is another question, answered by `cpu_parallelism` and never by this estimate. The burst's requests
enter the app together (the client's release), and the estimate looks for the things that make them wait,
each where it leaves its mark, taking the tightest:

- a queue inside the app (a lock, a semaphore, a pool of connections): requests spend longer in the app
  than alone because they wait their turn. Each request's service is the last `alone_s` of its time in the
  app; while some requests queue, the number in service at once is the app's limit k (1 for a lock). Waits
  shorter than half a service time are noise, not a queue; a queue keeps the app busy at a steady level,
  except behind a lock that its waiters retry with a back-off (SQLite's busy handler), which still lets
  them out one at a time. For CPU-bound handlers, threads that take turns at the GIL look queued too, as do
  threads that leave at the pace one core answers them: the middleware's evidence from inside (did the other
  requests progress while one was served?) tells a lock, where they did not, from the GIL, where they did.
- a cap in the server in front of the app: a pool of workers that every request had to pass through (the
  same workers served several requests, and all of them were busy at once), or a process forked per
  request with at most k alive: k is the most requests that were inside the server at the same time.
- an event loop blocked for most of the burst (a blocking call, or CPU-bound work, in `async def`): each
  such loop served one request at a time, whatever the requests' times inside the app say;
- anyio's thread pool, where Starlette and FastAPI run `def` endpoints, seen full with tasks waiting.

When none of them shows, nothing made the requests wait: the estimate is N. That conclusion needs requests to
have been inside the server together in the first place, so `together` is reported for the verdict's
measurability check.
"""

from __future__ import annotations

import statistics
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
# CPU-bound requests that leave one after another took turns at the GIL when many of their peers had made
# progress while each was served (measured, werkzeug threads, N = 10-50: 67-100% for a pure-Python loop of
# 1-5 ms, 50% once in 60 bursts), and waited behind a lock when hardly any had (0-9% for the same loop of 1 ms
# behind a lock, N = 10-100).
PEERS_PROGRESSED_MIN = 0.25
# A process whose CPU clock moved by at least this much (cores' worth) from its first answer to its last was
# answering as fast as a core lets it: threads that a sleep let go together (a herd, each with a little Python
# left to run) leave one after another at that pace, and look queued for as long as they wait for the GIL.
# Like CPU-bound requests, they are taken for a queue only where the others did not progress meanwhile (a lock
# around work after the sleep). Measured (werkzeug threads, idle): 1.06-1.39 for sleeps of 5-100 ms at N = 50
# and 100, where the waits for the GIL read as limits of 16-22 in one burst of three; at most 0.79 behind a
# semaphore of 4 around a 5 ms sleep, 0.23 behind a lock.
ANSWERED_AT_CPU_PACE = 1.0
# An asyncio event loop blocked for at least this share of its worker's part of the burst served one request
# at a time: a blocking call (or CPU-bound work) inside `async def` set the pace, not the server.
LOOP_BLOCKED_SHARE = 0.5
# An event loop that had work (on a CPU, or waiting for one) for at least this share of the burst was
# saturated: requests waited for the loop to get to them (its own per-request work: parsing, routing,
# answering), which is how much CPU the machine gives it, not a queue in the app (measured: 1.0 for 50
# requests of 5 ms on one loop; 0.5 on a CPU and the rest waiting for one beside two CPU hogs).
LOOP_SATURATED_CORES = 0.8
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

LimitedBy = Literal["app", "server", "loop", "pool", "nothing"]


@dataclass(frozen=True)
class AllowedConcurrency:
    """The estimate for one burst, with the figure behind each bound (None: that bound did not show)."""

    value: float  # what the verdict uses: the tightest bound, or N when nothing limited the burst
    limited_by: LimitedBy
    app_limit: float | None  # requests in service at once while others queued inside the app
    server_cap: int | None  # a pool or per-request processes in front of the app
    cpu_parallelism: float  # cores' worth of handler CPU during the burst: parallelism, not a bound
    queued_share: float  # share of requests that queued inside the app
    overlap: int  # most requests in service at once (the last alone_s of each one's time inside the app)
    finished_one_by_one: bool  # exits came one service time apart (a lock), not bunched
    loop_limit: int | None = None  # event loops blocked for most of the burst: one request at a time each
    thread_pool: int | None = None  # anyio's thread pool, seen full with tasks waiting
    together: int = 0  # most requests inside the server at once (from admission, or entry, to the answer)
    # Of the other requests inside the app at each answer (threaded WSGI servers), the share that had made
    # progress meanwhile; None where not recorded.
    peers_progressed: float | None = None


def admitted_concurrency(intervals: Sequence[tuple[float, float]]) -> int:
    """Most intervals open at one instant (an interval ending exactly when another starts does not overlap)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    inside = peak = 0
    for _, step in events:  # at equal times, -1 sorts before +1
        inside += step
        peak = max(peak, inside)
    return peak


def queued(timing: ServerTiming, alone_s: float) -> bool:
    """Whether the request waited in the app. Time its thread spent waiting for a CPU is left out: a busy
    machine that preempted it (in a sleep, between two requests of a worker) delayed it, no lock did - a
    waiter behind a lock or a semaphore is blocked, not runnable."""
    return timing.undelayed_in_app_s > (1 + QUEUE_TOLERANCE) * alone_s


def app_limit(timings: Sequence[ServerTiming], alone_s: float, off_cpu_s: float | None = None) -> float | None:
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
    if congested_s <= 0:
        return None
    one_by_one = finished_one_by_one(timings, alone_s, off_cpu_s)
    # Waiting while the app sat idle is the machine's slowness - unless they still left one at a time: a lock
    # whose waiters sleep between tries (a back-off) sits unclaimed between holders.
    if idle_s > QUEUE_IDLE_SHARE_MAX * congested_s and not one_by_one:
        return None
    median, high = _level_at(levels, 0.5), _level_at(levels, 0.9)
    if high > median + max(1.0, STEADY_LEVEL_SLACK * median):
        return None
    limit = sum(level * duration for level, duration in levels) / congested_s
    # One at a time is a lock only if the requests left it one service time apart; delays that the machine
    # added (forks and wake-ups under load) leave them bunched and uneven instead.
    if limit < ONE_AT_A_TIME_MAX and not one_by_one:
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


def inside(timing: ServerTiming) -> tuple[float, float]:
    """A request's time inside the server: from when the middleware got it (before the release) to its answer."""
    start = timing.admitted_s if timing.admitted_s is not None else timing.enter_s
    return min(start, timing.enter_s), timing.exit_s


def server_cap(timings: Sequence[ServerTiming], capacity: int | None = None) -> int | None:
    """The cap of a worker pool or of per-request processes in front of the app; None when none showed.
    `capacity` is what the server's settings let in at once, where known."""
    admitted = admitted_concurrency([inside(t) for t in timings])
    if admitted >= len(timings):
        return None
    # As many inside at once as the settings allow, and the rest kept out: the settings' cap, also where each
    # thread served one request (waitress hands requests to any idle thread; with connection_limit below its
    # threads, a burst of up to `threads` looks like a thread per request by the threads alone).
    if admitted == capacity:
        return admitted
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


def loop_limit(timings: Sequence[ServerTiming]) -> int | None:
    """ASGI on asyncio: the number of workers when every worker's event loop was blocked for most of its part
    of the burst, or served its requests one at a time (on a busy machine a blocked loop also waits for a CPU
    between requests, which its heartbeat does not count); None when a loop was free, or none is watched."""
    workers = _by_process(timings)
    for mine in workers.values():
        blocked = _clock_moved([(t.loop_blocked_enter_s, t.loop_blocked_exit_s) for t in mine])
        if blocked is None:
            return None
        span = _clock_moved([(t.enter_s, t.exit_s) for t in mine]) or 0.0
        if in_app_at_once(mine) > 1 and (span <= 0 or blocked < LOOP_BLOCKED_SHARE * span):
            return None
    return len(workers)


def loop_saturated(timings: Sequence[ServerTiming]) -> bool:
    """Every worker's event loop had work for most of its part of the burst: it was on a CPU (its process's
    CPU clock), or waiting for one on a busy machine (its thread's time runnable, where Linux tells it).
    Requests then waited for the loop to get to them - the machine's speed, not a queue in the app."""
    if any(t.loop_blocked_enter_s is None for t in timings):
        return False
    for mine in _by_process(timings).values():
        used = _process_cpu_s(mine)
        if used is None:
            return False
        used += _clock_moved([(t.loop_cpu_wait_enter_s, t.loop_cpu_wait_exit_s) for t in mine]) or 0.0
        span = _clock_moved([(t.enter_s, t.exit_s) for t in mine]) or 0.0
        if span <= 0 or used < LOOP_SATURATED_CORES * span:
            return False
    return True


def peers_progressed(timings: Sequence[ServerTiming]) -> float | None:
    """Of the peers sampled at each answer, the share that had progressed; None where none were recorded."""
    sampled = sum(t.peers or 0 for t in timings)
    if not sampled:
        return None
    return sum(t.peers_progressed or 0 for t in timings) / sampled


def answered_at_cpu_pace(timings: Sequence[ServerTiming]) -> bool:
    """Threads (WSGI): every process that answered more than once used a core's worth of CPU or more from its
    first answer to its last - the pace at which one core answers set when the requests left. False where the
    process clock is not recorded (ASGI's event loops have `loop_saturated`)."""
    paced = False
    for mine in _by_process(timings).values():
        answers = sorted((t.exit_s, t.process_cpu_exit_s) for t in mine if t.process_cpu_exit_s is not None)
        if len(answers) < len(mine) or any(t.loop_blocked_enter_s is not None for t in mine):
            return False
        if len(answers) < 2:
            continue
        (first_s, first_cpu_s), (last_s, last_cpu_s) = answers[0], answers[-1]
        if last_s <= first_s or last_cpu_s - first_cpu_s < ANSWERED_AT_CPU_PACE * (last_s - first_s):
            return False
        paced = True
    return paced


def thread_pool_cap(timings: Sequence[ServerTiming]) -> int | None:
    """anyio's thread pool (`def` endpoints of Starlette and FastAPI): its size, when some answer saw every
    thread in use and tasks waiting for one; None when it never filled."""
    full = [t.pool_size for t in timings if t.pool_size and t.pool_waiting and t.pool_borrowed == t.pool_size]
    return max(full) if full else None


def cpu_parallelism(timings: Sequence[ServerTiming], cpu_alone_s: float | None = None) -> float:
    """Cores' worth of CPU work that ran at once: the work of the burst's requests over the span from the first
    entry to the last answer. A process that served one request at a time counts its requests' own CPU clocks,
    read at the burst's moment (the same work takes from 7 to 19 ms of CPU on one VM from one moment to the
    next, so the time alone at calibration would misstate it by as much). Where requests overlapped in one
    process, their clocks also count what threads burn waiting for the GIL, which is not work done (measured:
    up to 1.5 cores' worth in one process at a 0.5 ms switch interval): there each request counts the lesser of
    its process's median clock and the CPU of a request alone."""
    span = max(t.exit_s for t in timings) - min(t.enter_s for t in timings)
    if span <= 0:
        return float(len(timings))
    work = 0.0
    for mine in _by_process(timings).values():
        clocks = [t.cpu_s for t in mine]
        process_s = _process_cpu_s(mine)  # an event loop's worker (threads record no clock at entry)
        if process_s is not None:
            work += process_s
        elif cpu_alone_s is None or in_app_at_once(mine) <= 1:
            work += sum(clocks)
        else:
            work += len(mine) * min(cpu_alone_s, statistics.median(clocks))
    return work / span


def cpu_speed(timings: Sequence[ServerTiming], cpu_alone_s: float | None) -> float:
    """The CPU the burst's requests used over what the same work used alone: how much faster (below 1) or
    slower the machine ran them than the calibration's. Threads' own clocks only (an event loop's requests
    share one); 1 where there is nothing to compare."""
    clocks = [t.cpu_s for t in timings if t.loop_blocked_enter_s is None and t.cpu_s > 0]
    if not cpu_alone_s or not clocks:
        return 1.0
    return statistics.median(clocks) / cpu_alone_s


def _by_process(timings: Sequence[ServerTiming]) -> dict[int, list[ServerTiming]]:
    processes: dict[int, list[ServerTiming]] = {}
    for t in timings:
        processes.setdefault(t.pid, []).append(t)
    return processes


def in_app_at_once(timings: Sequence[ServerTiming]) -> int:
    """The most requests inside the app at the same moment."""
    return admitted_concurrency([(t.enter_s, t.exit_s) for t in timings])


def _clock_moved(readings: Sequence[tuple[float | None, float | None]]) -> float | None:
    """How far a clock read at each request's entry and answer moved, from the earliest entry to the latest
    answer; None where a reading is missing."""
    enters = [enter for enter, _ in readings if enter is not None]
    exits = [exit for _, exit in readings if exit is not None]
    if not readings or len(enters) < len(readings) or len(exits) < len(readings):
        return None
    return max(exits) - min(enters)


def _process_cpu_s(mine: Sequence[ServerTiming]) -> float | None:
    """An ASGI worker's process CPU clock over its part of the burst; None elsewhere."""
    return _clock_moved([(t.process_cpu_enter_s, t.process_cpu_exit_s) for t in mine])


def finished_one_by_one(timings: Sequence[ServerTiming], alone_s: float, off_cpu_s: float | None = None) -> bool:
    """Whether the exits came a service time apart. With `off_cpu_s` (the part of a lone request's time off its
    CPU), each request's service is at least its own CPU at the burst's moment, or that part (a sleep, an
    I/O wait; or a busy machine's preemption, which the burst meets too)."""
    ordered = sorted(timings, key=lambda t: t.exit_s)
    gaps = [
        (later.exit_s - earlier.exit_s, alone_s if off_cpu_s is None else min(alone_s, max(later.cpu_s, off_cpu_s)))
        for earlier, later in pairwise(ordered)
    ]
    return bool(gaps) and sum(gap >= service_s / 2 for gap, service_s in gaps) >= ONE_BY_ONE_SHARE * len(gaps)


def allowed_concurrency(
    timings: Sequence[ServerTiming],
    alone_s: float,
    cpu_bound: bool,
    cpu_alone_s: float | None = None,
    blocks_loop: bool = False,
    server_capacity: int | None = None,
) -> AllowedConcurrency:
    """Estimate for one burst; `alone_s` is a request's time in the app when served alone (calibration),
    `cpu_alone_s` the CPU it used then, and `blocks_loop` whether it held its event loop for most of that
    time - only then is a loop late during the burst the handler's doing, and not the loop kept busy by many
    requests' short callbacks (a saturated loop also runs its timer late). `server_capacity` is what the
    server's settings let in at once, where known."""
    n = len(timings)
    bounds: list[tuple[float, LimitedBy]] = []
    progressed = peers_progressed(timings)
    # CPU-bound requests also wait to take turns at the GIL or for a core, which is not a queue, and so do
    # requests that left at the pace one core answers them: the queue model applies to them only where the
    # evidence from inside says the others did not progress meanwhile.
    took_turns = cpu_bound or answered_at_cpu_pace(timings)
    queue_model = not took_turns or (progressed is not None and progressed < PEERS_PROGRESSED_MIN)
    queue_model = queue_model and not loop_saturated(timings)
    off_cpu_s = max(0.0, alone_s - cpu_alone_s) if cpu_alone_s is not None else None
    if queue_model and cpu_alone_s:
        # The CPU part of a request's service is done at the burst's speed: behind a lock the holder runs alone
        # and the waiters spend no CPU, so their clocks say how long that work took then (not at calibration).
        alone_s += cpu_alone_s * (cpu_speed(timings, cpu_alone_s) - 1)
    # A thread pool seen full with tasks waiting is the queue, observed where it forms: it explains the
    # waits, whose shape (each request takes a thread twice, and the loop in between) the model would misread.
    pool = thread_pool_cap(timings)
    app = app_limit(timings, alone_s, off_cpu_s) if queue_model and pool is None else None
    if app is not None:
        bounds.append((app, "app"))
    cap = server_cap(timings, server_capacity)
    if cap is not None:
        bounds.append((float(cap), "server"))
    loop = loop_limit(timings) if blocks_loop else None
    if loop is not None:
        bounds.append((float(loop), "loop"))
    if pool is not None:
        bounds.append((float(pool), "pool"))
    value, limited_by = min(bounds, default=(float(n), "nothing"))
    return AllowedConcurrency(
        value=min(max(value, 1.0), float(n)),
        limited_by=limited_by,
        app_limit=app,
        server_cap=cap,
        cpu_parallelism=cpu_parallelism(timings, cpu_alone_s),
        queued_share=sum(queued(t, alone_s) for t in timings) / n,
        overlap=admitted_concurrency([(max(t.enter_s, t.exit_s - alone_s), t.exit_s) for t in timings]),
        finished_one_by_one=finished_one_by_one(timings, alone_s, off_cpu_s),
        loop_limit=loop,
        thread_pool=pool,
        together=admitted_concurrency([inside(t) for t in timings]),
        peers_progressed=progressed,
    )
