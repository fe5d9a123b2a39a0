"""Pure functions from raw timings to figures and a verdict. No I/O, no clocks: tests feed hand-made timings."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from checker.config import SERIALIZED_MAX_CONCURRENCY
from checker.timings import Measurement, RequestTiming, ServerTiming

Verdict = Literal["pass", "fail", "error"]

# Repeats whose highest effective concurrency exceeds the lowest by more than this factor are "unstable":
# the machine, not the app, moved the figure, so the reason says so.
UNSTABLE_RATIO = 1.5


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
    effective_concurrency: float  # C = N * L1 / W
    burst_wall_s: float  # W: first send to last response
    send_spread_s: float  # first send to last send: how at-once the client managed to be
    latency: Latencies
    errors: int
    first_error: str | None
    server: ServerFigures | None = None


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

    @property
    def effective_concurrency(self) -> float:
        return statistics.median(b.effective_concurrency for b in self.bursts)

    @property
    def median_burst(self) -> BurstFigures:
        ordered = sorted(self.bursts, key=lambda b: b.effective_concurrency)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def errors(self) -> int:
        return self.calibration_errors + sum(b.errors for b in self.bursts)

    @property
    def unstable(self) -> bool:
        values = [b.effective_concurrency for b in self.bursts]
        return len(values) > 1 and max(values) > UNSTABLE_RATIO * min(values)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


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


def admitted_concurrency(intervals: Sequence[tuple[float, float]]) -> int:
    """Most intervals open at one instant (an interval ending exactly when another starts does not overlap)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    inside = peak = 0
    for _, step in events:  # at equal times, -1 sorts before +1
        inside += step
        peak = max(peak, inside)
    return peak


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
        admitted_concurrency=admitted_concurrency([(s.enter_s, s.exit_s) for s in seen]),
        arrival_spread_s=max(s.enter_s for s in seen) - min(s.enter_s for s in seen),
        cpu_share_p50=statistics.median(cpu_share(s) for s in seen),
    )


def request_problem(timing: RequestTiming, expect_status: int) -> str | None:
    if timing.error is not None:
        return timing.error
    if timing.status != expect_status:
        return f"status {timing.status}, expected {expect_status}"
    return None


def summarize_burst(timings: Sequence[RequestTiming], single_latency_s: float, expect_status: int) -> BurstFigures:
    sent = [t.sent_s for t in timings]
    wall = max(t.done_s for t in timings) - min(sent)
    latencies = [t.latency_s for t in timings]
    problems = [p for p in (request_problem(t, expect_status) for t in timings) if p is not None]
    return BurstFigures(
        requests=len(timings),
        effective_concurrency=effective_concurrency(len(timings), single_latency_s, wall),
        burst_wall_s=wall,
        send_spread_s=max(sent) - min(sent),
        latency=Latencies(p50_s=percentile(latencies, 0.5), p95_s=percentile(latencies, 0.95), max_s=max(latencies)),
        errors=len(problems),
        first_error=problems[0] if problems else None,
        server=summarize_server(timings),
    )


def summarize(measurement: Measurement, expect_status: int) -> AttemptFigures:
    calibration_problems = [
        p for p in (request_problem(t, expect_status) for t in measurement.calibration) if p is not None
    ]
    single = statistics.median(t.latency_s for t in measurement.calibration)
    alone = [cpu_share(t.server) for t in measurement.calibration if t.server is not None]
    return AttemptFigures(
        calibration_latency_s=single,
        calibration_requests=len(measurement.calibration),
        bursts=tuple(summarize_burst(b, single, expect_status) for b in measurement.bursts),
        calibration_errors=len(calibration_problems),
        first_calibration_error=calibration_problems[0] if calibration_problems else None,
        calibration_cpu_share=statistics.median(alone) if alone else None,
    )


def measurable_concurrency(requests: int, single_latency_s: float, send_spread_s: float) -> float:
    """The highest C the client allowed: even a perfect server cannot finish before the last send + L1."""
    return effective_concurrency(requests, single_latency_s, send_spread_s + single_latency_s)


def shape_of(concurrency: float) -> str:
    """Plain words for a measured effective concurrency."""
    if concurrency < SERIALIZED_MAX_CONCURRENCY:
        return "requests ran one after another"
    return f"about {round(concurrency)} requests ran at once"


def judge(figures: AttemptFigures, low: float | None, high: float | None, expected: str) -> Judgement:
    """pass / fail / error for one attempt, with a one-line reason that a person can act on."""
    if figures.errors:
        first = figures.first_calibration_error or next(b.first_error for b in figures.bursts if b.first_error)
        total = figures.calibration_requests + sum(b.requests for b in figures.bursts)
        return Judgement("error", f"{figures.errors} of {total} requests failed; first: {first}")
    measured = figures.effective_concurrency
    median = figures.median_burst
    noise = ""
    if figures.unstable:
        values = sorted(b.effective_concurrency for b in figures.bursts)
        noise = f"; unstable: repeats measured {values[0]:.1f} to {values[-1]:.1f} (a busy machine?)"
    if low is not None and measured < low:
        reachable = measurable_concurrency(median.requests, figures.calibration_latency_s, median.send_spread_s)
        if reachable < low:
            return Judgement(
                "error",
                f"the client could not send the burst at once: its requests started over "
                f"{median.send_spread_s:.3f} s against a single-request latency of "
                f"{figures.calibration_latency_s:.3f} s, so at most {reachable:.1f} was measurable "
                f"(expected {expected}); not the server's fault",
            )
        return Judgement("fail", f"expected {expected}, measured {measured:.1f}: {shape_of(measured)}{noise}")
    if high is not None and measured > high:
        return Judgement("fail", f"expected {expected}, measured {measured:.1f}: {shape_of(measured)}{noise}")
    return Judgement("pass", f"measured {measured:.1f}: {shape_of(measured)}{noise}")
