"""Pure functions from raw timings to the figures of a burst and of an attempt (no I/O, no clocks: tests feed
hand-made timings). The verdict reads them (checker.analysis.verdict)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from checker.analysis.estimate import (
    CPU_BOUND_SHARE,
    LOOP_BLOCKED_SHARE,
    AllowedConcurrency,
    allowed_concurrency,
    in_app_at_once,
)
from checker.app_server.spec import streamed_after_answer
from checker.wire import Measurement, RequestTiming, ServerTiming

# Repeats whose highest measured concurrency exceeds the lowest by more than this factor are "unstable":
# the machine, not the app, moved the figure, so the reason says so.
UNSTABLE_RATIO = 1.5
# Other processes using this many CPU cores while burstcheck measured make the machine busy (an idle
# runner measures 0.0-0.1) ...
BUSY_OTHERS_CORES = 0.5
# ... and then a handler that needs at least this share of a core when alone cannot be judged: how many of
# its requests ran in parallel depends on the other load (a CPU-bound handler under load may get 30% alone).
CPU_SENSITIVE_SHARE = 0.2
# A late wave of arrivals: the kernel retries a dropped handshake after 1 s and retransmits dropped data
# after 0.2 s, doubling; half a second of silence inside a burst, many service times long, is such a retry.
LATE_WAVE_GAP_S = 0.5
LATE_WAVE_SERVICE_TIMES = 5
# A body that streams after the view answered (checker/app_server/spec.py's streamed_after_answer: the
# middleware's span ends where the body starts, as its header must precede it), and a small one - a large
# body is the transfer's, which diagnosis.py names. The server's thread is busy all the while, and the
# middleware cannot see it: the verdict then uses what clients experienced.
STREAMED_MAX_BYTES = 256 * 1024
# A request alone held its event loop only if it did so for at least the loop's heartbeat (asgi_timing's
# LOOP_LATE_S): a shorter step of `async def` work reads as a late beat or not by chance (a 0.43 ms hash in a
# FastAPI app flipped the estimate between 1 and 60 from run to run). Such a step is a turn on the loop, as
# a thread's turn at the GIL is; blocks of a millisecond and more are seen every time.
LOOP_HELD_MIN_S = 0.001


@dataclass(frozen=True)
class Latencies:
    p50_s: float
    p95_s: float
    max_s: float


@dataclass(frozen=True)
class ServerFigures:
    """What the middleware saw inside the server during one burst (only when burstcheck launched it)."""

    processes: int  # distinct pids that served the burst
    threads: int  # distinct (pid, thread) pairs
    admitted_concurrency: int  # most requests inside the app at the same moment
    arrival_spread_s: float  # first to last request entering the app
    cpu_share_p50: float  # median over requests of CPU time / time inside the app


@dataclass(frozen=True)
class BurstFigures:
    """One burst of N simultaneous requests, summarized."""

    requests: int
    effective_concurrency: float  # client-side C = N * L1 / W: what clients experienced
    burst_wall_s: float  # W: first send to last response
    send_spread_s: float  # first send to last send: how at-once the client managed to be
    latency: Latencies
    errors: int
    first_error: str | None
    server: ServerFigures | None = None
    allowed: AllowedConcurrency | None = None  # what the server and app allowed (server timings only)
    # Client-side C with the control burst's fixed overhead taken out (command servers with a control_path).
    overhead_corrected: float | None = None
    # Median time from the app's answer (start_response) to the client's last byte: the response's transfer.
    transfer_p50_s: float | None = None
    body_bytes_p50: int = 0
    # Requests that reached the app in a late wave, a gap of LATE_WAVE_GAP_S or more after the rest: the
    # server's listen backlog overflowed and the kernel delivered them on a retry (server timings only).
    late_arrivals: int = 0
    late_by_s: float = 0.0
    # Answers whose timing header was there but could not be read: the burst is judged on client-side figures,
    # and the reason says why.
    timing_errors: int = 0
    first_timing_error: str | None = None
    # ASGI on asyncio: how long the workers' event loops were blocked during the burst (summed over workers),
    # and the worst lag of a loop's timer; None where the server has no such loop.
    loop_blocked_s: float | None = None
    loop_lag_max_s: float | None = None

    @property
    def measured(self) -> float:
        """The figure the verdict uses: the allowed concurrency where the middleware saw the burst, else client
        C with the control burst's overhead taken out, else client C."""
        if self.allowed is not None:
            return self.allowed.value
        return self.overhead_corrected if self.overhead_corrected is not None else self.effective_concurrency


@dataclass(frozen=True)
class AttemptFigures:
    """A calibration and its bursts; the verdict uses the median burst."""

    calibration_latency_s: float  # L1
    calibration_requests: int
    bursts: tuple[BurstFigures, ...]
    calibration_errors: int
    first_calibration_error: str | None
    # CPU share of a request served alone: near 1 means the handler is CPU-bound. None without server timings.
    calibration_cpu_share: float | None = None
    # A request's time inside the app when served alone, less its wait for a CPU (median). None without server
    # timings.
    calibration_in_app_s: float | None = None
    # The handler needs the CPU: most of its time alone, or a fair share of it while the machine was busy.
    cpu_bound: bool = False
    others_cpu_cores: float | None = None  # CPU cores other processes used meanwhile (None: not sampled)
    # How much longer a burst to the control_path took than one request to it: the fixed overhead of N.
    control_overhead_s: float | None = None
    # The body streams after the view answered (streams(), below): judged on client-side C.
    streamed: bool = False

    @property
    def effective_concurrency(self) -> float:
        """Client-side C, median over the bursts."""
        return statistics.median(b.effective_concurrency for b in self.bursts)

    @property
    def tested_the_app(self) -> bool:
        """Whether any burst could show how the app serves requests (see `tested_the_app`)."""
        return any(tested_the_app(b) for b in self.bursts)

    @property
    def judged_indices(self) -> list[int]:
        """Which bursts the verdict reads: those that tested the app, where any did."""
        tested = [i for i, b in enumerate(self.bursts) if tested_the_app(b)]
        return tested or list(range(len(self.bursts)))

    @property
    def judged(self) -> list[BurstFigures]:
        """The bursts the verdict reads."""
        return [self.bursts[i] for i in self.judged_indices]

    @property
    def allowed_concurrency(self) -> float | None:
        """Allowed concurrency, median over the judged bursts; None unless every burst had server timings."""
        if any(b.allowed is None for b in self.bursts):
            return None
        return self.measured  # a burst's figure is its allowed concurrency where it has one

    @property
    def parallelism(self) -> float | None:
        """Cores' worth of CPU that ran at once (median over the judged bursts); None without server timings."""
        if any(b.allowed is None for b in self.bursts):
            return None
        return statistics.median(b.allowed.cpu_parallelism for b in self.judged if b.allowed is not None)

    @property
    def measured(self) -> float:
        """The figure the verdict uses (median over the judged bursts)."""
        return statistics.median(b.measured for b in self.judged)

    @property
    def basis(self) -> str:
        """Which figure the verdict uses, in the report's words."""
        if self.allowed_concurrency is not None:
            return "allowed"
        return "client C - overhead" if self.control_overhead_s is not None else "client C"

    @property
    def median_index(self) -> int:
        """Which burst is the median judged one (by the verdict's figure; the lower middle of an even count)."""
        ordered = sorted(self.judged_indices, key=lambda i: self.bursts[i].measured)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def median_burst(self) -> BurstFigures:
        return self.bursts[self.median_index]

    @property
    def errors(self) -> int:
        return self.calibration_errors + sum(b.errors for b in self.bursts)

    @property
    def unstable(self) -> bool:
        values = [b.measured for b in self.judged]
        return len(values) > 1 and max(values) > UNSTABLE_RATIO * min(values)


def tested_the_app(burst: BurstFigures) -> bool:
    """Whether a burst could show how the app serves requests: something limited it, or two of its requests
    were inside the app at once. Requests that each ran alone - a busy machine let the released threads in one
    by one, each done before the next got a CPU - say nothing about a lock in the app."""
    if burst.allowed is None or burst.server is None:
        return True
    return burst.allowed.limited_by != "nothing" or burst.server.admitted_concurrency >= 2


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `fraction` in [0, 1]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def effective_concurrency(requests: int, single_latency_s: float, burst_wall_s: float) -> float:
    """How many requests' worth of work the burst finished per single-request latency: N * L1 / W."""
    if burst_wall_s <= 0:
        return float(requests)
    return requests * single_latency_s / burst_wall_s


def cpu_share(timing: ServerTiming) -> float:
    return min(timing.cpu_s / timing.in_app_s, 1.0) if timing.in_app_s > 0 else 0.0


def summarize_server(timings: Sequence[RequestTiming]) -> ServerFigures | None:
    """Server-side figures of a burst; None unless every request carried the middleware's timing."""
    server = [t.server for t in timings]
    if not server or any(s is None for s in server):
        return None
    seen = [s for s in server if s is not None]
    return ServerFigures(
        processes=len({s.pid for s in seen}),
        threads=len({(s.pid, s.thread_id) for s in seen}),
        admitted_concurrency=in_app_at_once(seen),
        arrival_spread_s=max(s.enter_s for s in seen) - min(s.enter_s for s in seen),
        cpu_share_p50=statistics.median(cpu_share(s) for s in seen),
    )


def request_problem(timing: RequestTiming, expect_status: int) -> str | None:
    if timing.error is not None:
        return timing.error
    if timing.status != expect_status:
        return f"status {timing.status}, expected {expect_status}"
    return None


def summarize_burst(
    timings: Sequence[RequestTiming],
    single_latency_s: float,
    expect_status: int,
    *,
    alone_in_app_s: float | None = None,
    cpu_bound: bool = False,
    overhead_s: float | None = None,
    cpu_alone_s: float | None = None,
    blocks_loop: bool = False,
    streamed: bool = False,
    server_capacity: int | None = None,
) -> BurstFigures:
    sent = [t.sent_s for t in timings]
    # W counts from the release where the requests carried one (the server admitted them meanwhile), else from
    # the first send.
    released = [t.released_s for t in timings if t.released_s is not None]
    wall = max(t.done_s for t in timings) - max(min(sent), min(released, default=min(sent)))
    latencies = [t.latency_s for t in timings]
    problems = [p for p in (request_problem(t, expect_status) for t in timings) if p is not None]
    # A request's whole latency alone is its service time where the body streams after the view returned
    # (the server's thread is busy until the last byte): a serial server leaves gaps of L1, not of S.
    service_s = max(alone_in_app_s, single_latency_s) if alone_in_app_s is not None else None
    late_arrivals, late_by_s = _late_wave(timings, service_s)
    unreadable = [t.timing_error for t in timings if t.timing_error is not None]
    return BurstFigures(
        requests=len(timings),
        effective_concurrency=effective_concurrency(len(timings), single_latency_s, wall),
        burst_wall_s=wall,
        send_spread_s=max(sent) - min(sent),
        latency=Latencies(p50_s=percentile(latencies, 0.5), p95_s=percentile(latencies, 0.95), max_s=max(latencies)),
        errors=len(problems),
        first_error=problems[0] if problems else None,
        server=summarize_server(timings),
        allowed=None
        if streamed
        else _allowed(timings, alone_in_app_s, cpu_bound, cpu_alone_s, blocks_loop, server_capacity),
        overhead_corrected=(
            effective_concurrency(len(timings), single_latency_s, max(single_latency_s, wall - overhead_s))
            if overhead_s is not None
            else None
        ),
        transfer_p50_s=_transfer_p50_s(timings),
        body_bytes_p50=int(statistics.median(t.body_bytes for t in timings)),
        late_arrivals=late_arrivals,
        timing_errors=len(unreadable),
        first_timing_error=unreadable[0] if unreadable else None,
        late_by_s=late_by_s,
        **_event_loop(timings),
    )


def _event_loop(timings: Sequence[RequestTiming]) -> dict[str, float]:
    """Per worker, the loop's blocked time from the first entry to the last answer of the burst; summed."""
    spans: dict[int, tuple[float, float]] = {}
    lags = []
    for timing in timings:
        server = timing.server
        if server is None or server.loop_blocked_enter_s is None or server.loop_blocked_exit_s is None:
            return {}
        low, high = spans.get(server.pid, (server.loop_blocked_enter_s, server.loop_blocked_exit_s))
        spans[server.pid] = (min(low, server.loop_blocked_enter_s), max(high, server.loop_blocked_exit_s))
        lags.append(server.loop_lag_max_s or 0.0)
    if not spans:
        return {}
    return {"loop_blocked_s": sum(high - low for low, high in spans.values()), "loop_lag_max_s": max(lags)}


def _late_wave(timings: Sequence[RequestTiming], service_s: float | None) -> tuple[int, float]:
    """The largest gap between consecutive arrivals in the app, when it is a retry's gap: at least
    LATE_WAVE_GAP_S and many service times long (a server that serves one at a time leaves gaps of one
    service time, not of a second)."""
    enters = sorted(t.server.enter_s for t in timings if t.server is not None)
    if len(enters) != len(timings) or len(enters) < 2 or service_s is None:
        return 0, 0.0
    gap, after = max((b - a, i + 1) for i, (a, b) in enumerate(itertools.pairwise(enters)))
    if gap < max(LATE_WAVE_GAP_S, LATE_WAVE_SERVICE_TIMES * service_s):
        return 0, 0.0
    return len(enters) - after, gap


def _transfer_p50_s(timings: Sequence[RequestTiming]) -> float | None:
    transfers = [t.done_s - t.server.exit_s for t in timings if t.server is not None]
    return statistics.median(transfers) if len(transfers) == len(timings) else None


def _allowed(
    timings: Sequence[RequestTiming],
    alone_s: float | None,
    cpu_bound: bool,
    cpu_alone_s: float | None,
    blocks_loop: bool,
    server_capacity: int | None,
) -> AllowedConcurrency | None:
    server = [t.server for t in timings if t.server is not None]
    if alone_s is None or alone_s <= 0 or len(server) != len(timings):
        return None
    return allowed_concurrency(server, alone_s, cpu_bound, cpu_alone_s, blocks_loop, server_capacity)


def control_overhead_s(control: Measurement) -> float:
    """How much longer a burst to an endpoint that does no work takes than one request to it (median): the
    client's, the network's and the server's fixed cost of N requests, which no app can overlap away."""
    single = statistics.median(t.latency_s for t in control.calibration)
    walls = [max(t.done_s for t in b) - min(t.sent_s for t in b) for b in control.bursts]
    return max(0.0, statistics.median(walls) - single)


def summarize(
    measurement: Measurement,
    expect_status: int,
    control: Measurement | None = None,
    *,
    overhead_s: float | None = None,
) -> AttemptFigures:
    """The figures of one attempt. The control burst's overhead comes from `control`, or as `overhead_s`
    where it was computed before (a report read back from JSON)."""
    calibration_problems = [
        p for p in (request_problem(t, expect_status) for t in measurement.calibration) if p is not None
    ]
    single = statistics.median(t.latency_s for t in measurement.calibration)
    alone = [t.server for t in measurement.calibration if t.server is not None]
    cpu_alone = statistics.median(cpu_share(s) for s in alone) if alone else None
    # The time alone is the app's own: a lone request that a busy machine kept from a CPU (Linux tells how long)
    # would make every burst request look quicker than its service, and a lock's waiters look unqueued.
    in_app_alone = statistics.median(s.undelayed_in_app_s for s in alone) if alone else None
    cpu_alone_s = statistics.median(s.cpu_s for s in alone) if alone else None
    cpu_bound = work_share(measurement, cpu_alone) >= CPU_BOUND_SHARE
    # Whether the body streams compares the view's span with the client's latency, both as the machine ran them.
    view_span_s = statistics.median(s.in_app_s for s in alone) if alone else None
    streamed = streams(measurement.calibration, single, view_span_s)
    if control is not None:
        overhead_s = control_overhead_s(control)
    bursts = tuple(
        summarize_burst(
            b,
            single,
            expect_status,
            alone_in_app_s=in_app_alone,
            cpu_bound=cpu_bound,
            streamed=streamed,
            overhead_s=overhead_s,
            cpu_alone_s=cpu_alone_s,
            blocks_loop=blocks_loop(alone),
            server_capacity=measurement.server_capacity,
        )
        for b in measurement.bursts
    )
    return AttemptFigures(
        calibration_latency_s=single,
        calibration_requests=len(measurement.calibration),
        bursts=bursts,
        calibration_errors=len(calibration_problems),
        first_calibration_error=calibration_problems[0] if calibration_problems else None,
        calibration_cpu_share=cpu_alone,
        calibration_in_app_s=in_app_alone,
        cpu_bound=cpu_bound,
        others_cpu_cores=measurement.others_cpu_cores,
        control_overhead_s=overhead_s,
        streamed=streamed,
    )


def streams(alone: Sequence[RequestTiming], single_latency_s: float, in_app_s: float | None) -> bool:
    """Whether a request served alone spent most of its time streaming a small body after the view answered."""
    if in_app_s is None or not alone:
        return False
    small = statistics.median(t.body_bytes for t in alone) <= STREAMED_MAX_BYTES
    return small and streamed_after_answer(single_latency_s, in_app_s)


def blocks_loop(alone: Sequence[ServerTiming]) -> bool:
    """Whether a request served alone held its event loop for most of its time in the app (a blocking call or
    CPU-bound work in `async def`), and for LOOP_HELD_MIN_S at least; False where no loop is watched."""
    shares = [
        _loop_held_s(s) / s.in_app_s
        for s in alone
        if s.loop_blocked_enter_s is not None and s.loop_blocked_exit_s is not None and s.in_app_s > 0
    ]
    return bool(shares) and statistics.median(shares) >= LOOP_BLOCKED_SHARE


def _loop_held_s(alone: ServerTiming) -> float:
    """How long a request alone held its loop: the loop's blocked time meanwhile, or its worst lag; 0 below
    LOOP_HELD_MIN_S."""
    held = max((alone.loop_blocked_exit_s or 0.0) - (alone.loop_blocked_enter_s or 0.0), alone.loop_lag_max_s or 0.0)
    return held if held >= LOOP_HELD_MIN_S else 0.0


def work_share(measurement: Measurement, cpu_alone: float | None) -> float:
    """How much of a request's time in the app is CPU work: the median CPU time of the burst's requests over
    the shortest time a calibration request spent in the app (capped at 1). The bursts' requests ran on warm
    workers; waiting (for a lock, the GIL, a core) costs no CPU; and the shortest lone request is the one a
    busy machine disturbed least - so this reads the same however the requests were served and whatever else
    the machine did. The calibration's own share stands in without server timings in the bursts."""
    alone = [t.server.undelayed_in_app_s for t in measurement.calibration if t.server is not None]
    served = [t.server for burst in measurement.bursts for t in burst if t.server is not None]
    # An event loop's requests share its CPU clock: there the calibration's lone requests tell.
    used = [s.cpu_s for s in served if s.loop_blocked_enter_s is None]
    if not used or not alone or min(alone) <= 0:
        return cpu_alone or 0.0
    return min(1.0, statistics.median(used) / min(alone))


def machine_busy(others_cpu_cores: float | None) -> bool:
    return others_cpu_cores is not None and others_cpu_cores >= BUSY_OTHERS_CORES
