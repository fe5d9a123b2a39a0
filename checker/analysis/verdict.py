"""The verdict: pass, fail or error for one attempt against its expectation, with a reason a person can act on
(pure). An attempt the measurement cannot support is an error that names the figure, never a pass or fail."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from checker.analysis.figures import CPU_SENSITIVE_SHARE, AttemptFigures, effective_concurrency, machine_busy
from checker.config import SERIALIZED_MAX_CONCURRENCY

Verdict = Literal["pass", "fail", "error"]

# A CPU-bound handler's lone request that gets less than this share of a core is running on a busy machine:
# its concurrency under the burst then reflects the other load, so it is not judged.
BUSY_MACHINE_CPU_SHARE = 0.8
# "Nothing limited the burst" proves a minimum of k only when k requests were in the app together: a limit
# above what overlapped could not show. For minimums above this many, that many overlapping without a wait
# is taken as enough: large bursts reach the app staggered by the server's accept loop (measured idle: 36
# to 70 of 100 at once for a 5 ms handler), and what none of them waited for would not stop the rest.
OVERLAP_PROOF_MAX = 10


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


def measurable_concurrency(requests: int, single_latency_s: float, send_spread_s: float) -> float:
    """The highest C the client allowed: even a perfect server cannot finish before the last send + L1."""
    return effective_concurrency(requests, single_latency_s, send_spread_s + single_latency_s)


def shape_of(concurrency: float) -> str:
    """Plain words for a measured concurrency."""
    if concurrency < SERIALIZED_MAX_CONCURRENCY:
        return "requests ran one after another"
    return f"about {round(concurrency)} requests ran at once"


def busy_machine(figures: AttemptFigures) -> str | None:
    """Why other load may have lowered this attempt's figure (a handler that needs the CPU); None if not."""
    share = figures.calibration_cpu_share
    others = figures.others_cpu_cores
    if share is None:
        return None
    if share >= CPU_SENSITIVE_SHARE and machine_busy(others):
        return (
            f"the machine is busy: other processes used {others:.1f} CPU cores while burstcheck measured, and this "
            f"handler needs the CPU ({share:.0%} of a core when served alone), so how many ran in parallel says "
            "more about the other load than about the app"
        )
    if figures.cpu_bound and share < BUSY_MACHINE_CPU_SHARE:
        return (
            f"the machine is busy: the CPU-bound handler got {share:.0%} of a CPU core even when served alone, "
            "so how many ran in parallel says more about the other load than about the app"
        )
    return None


def unmeasurable(figures: AttemptFigures, low: float | None, high: float | None, expected: str) -> str | None:
    """Why this attempt cannot be judged against its expectation, naming the figure; None when it can."""
    median = figures.median_burst
    allowed = median.allowed
    measured = figures.measured
    if allowed is None:
        if low is not None and measured < low and figures.control_overhead_s is None:
            reachable = measurable_concurrency(median.requests, figures.calibration_latency_s, median.send_spread_s)
            if reachable < low:
                return (
                    f"the client could not send the burst at once: its requests started over "
                    f"{median.send_spread_s:.3f} s against a single-request latency of "
                    f"{figures.calibration_latency_s:.3f} s, so at most {reachable:.1f} was measurable "
                    f"(expected {expected}); not the server's fault"
                )
        return None
    # Other load can only lower how many CPU-using requests ran in parallel: a minimum met or a maximum
    # exceeded still stands; a minimum missed or a maximum met may be the load's doing.
    busy = busy_machine(figures)
    if busy is not None and ((low is not None and measured < low) or (high is not None and measured <= high)):
        return busy

    if allowed.limited_by == "nothing":
        # To pass a minimum, or to exceed a maximum, the burst must have had that many in service at once.
        # (One request at a time is always possible: a minimum of 1 or less needs no overlap.)
        needed = low if low is not None and measured >= low and low > 1 else None
        if high is not None and measured > high:
            needed = math.floor(high) + 1
        if needed is not None and allowed.overlap < min(needed, OVERLAP_PROOF_MAX):
            return (
                f"the burst did not test concurrency: at most {allowed.overlap} of its requests were served at once "
                f"(they reached the app spread out; handler {figures.calibration_in_app_s or 0:.3f} s alone), "
                f"fewer than the {math.ceil(min(needed, OVERLAP_PROOF_MAX))} that {expected} needs"
            )
    return None


def failed_requests(figures: AttemptFigures) -> str | None:
    """'k of n requests failed; first: ...' when a calibration or burst request failed; None when none did."""
    if not figures.errors:
        return None
    first = figures.first_calibration_error or next(b.first_error for b in figures.bursts if b.first_error)
    total = figures.calibration_requests + sum(b.requests for b in figures.bursts)
    return f"{figures.errors} of {total} requests failed; first: {first}"


def judge(figures: AttemptFigures, low: float | None, high: float | None, expected: str) -> Judgement:
    """pass / fail / error for one attempt, with a one-line reason that a person can act on."""
    failed = failed_requests(figures)
    if failed is not None:
        return Judgement("error", failed)
    problem = unmeasurable(figures, low, high, expected)
    if problem is not None:
        return Judgement("error", problem)
    measured = figures.measured
    noise = ""
    if figures.unstable:
        values = sorted(b.measured for b in figures.bursts)
        # Name the machine only when it was measured busy: uneven shares between workers vary bursts too.
        cause = (
            f" (other processes used {figures.others_cpu_cores:.1f} CPU cores)"
            if machine_busy(figures.others_cpu_cores)
            else ""
        )
        noise = f"; unstable: repeats measured {values[0]:.1f} to {values[-1]:.1f}{cause}"
    text = f"measured {measured:.1f}: {shape_of(measured)}{noise}{_unreadable_timings(figures)}"
    if (low is not None and measured < low) or (high is not None and measured > high):
        return Judgement("fail", f"expected {expected}, {text}")
    return Judgement("pass", text)


def _unreadable_timings(figures: AttemptFigures) -> str:
    """Server timing headers that were there but could not be read: the verdict fell back to client-side C."""
    unreadable = [b for b in figures.bursts if b.timing_errors]
    if not unreadable:
        return ""
    count = sum(b.timing_errors for b in unreadable)
    total = sum(b.requests for b in figures.bursts)
    return (
        f"; {count} of {total} timing headers could not be read (first: {unreadable[0].first_timing_error}),"
        " so this is client-side C"
    )
