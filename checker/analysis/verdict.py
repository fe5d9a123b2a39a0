"""The verdict: pass, fail or error for one attempt against its expectation, with a reason a person can act on
(pure). An attempt the measurement cannot support is an error that names the figure, never a pass or fail.

Two questions are kept apart. Whether requests are served together (the concurrency: `serialized`,
`concurrent`, `min_concurrency`, `max_concurrency`) is a matter of structure - a lock, a pool, one worker, a
blocked event loop - which other load on the machine does not change: it is judged whatever the machine is
doing. How much CPU runs in parallel (`min_parallelism`: the GIL, the cores) is physical and shrinks when
other processes take the cores: it is judged only where the machine could show it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Literal

from checker.analysis.figures import AttemptFigures, effective_concurrency, machine_busy
from checker.config import SERIALIZED_MAX_CONCURRENCY

Verdict = Literal["pass", "fail", "error"]

# "Nothing limited the burst" proves a minimum of k only when k requests were inside the server together: a
# limit above what was inside together could not show. For minimums above this many, that many together
# without a wait is taken as enough: what none of them waited for would not stop the rest.
TOGETHER_PROOF_MAX = 10


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


def unmeasurable(figures: AttemptFigures, low: float | None, high: float | None, expected: str) -> str | None:
    """Why this attempt's concurrency cannot be judged against its expectation, naming the figure; None when it
    can. Load on the machine is never such a reason: it slows requests down, it does not queue them."""
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
    if allowed.limited_by == "nothing":
        # To pass a minimum, or to exceed a maximum, that many must have been inside the server at once.
        # (One request at a time is always possible: a minimum of 1 or less needs no overlap.)
        needed = low if low is not None and measured >= low and low > 1 else None
        if high is not None and measured > high:
            needed = math.floor(high) + 1
        if needed is not None and allowed.together < min(needed, TOGETHER_PROOF_MAX):
            return (
                f"the burst did not test concurrency: at most {allowed.together} of its requests were inside the"
                f" server at once, fewer than the {math.ceil(min(needed, TOGETHER_PROOF_MAX))} that"
                f" {expected} needs: the server took them in more slowly than the burst's release allowed"
                " (a busy machine, or a slow accept loop); burst fewer requests"
            )
    return None


def parallelism_problem(figures: AttemptFigures, minimum: float, cpu_cores: int) -> Judgement | None:
    """`min_parallelism`: None when met; a fail where the machine could show it and it was missed; an error
    where it could not (other processes took the cores, or there are fewer cores than the minimum)."""
    parallelism = figures.parallelism
    if parallelism is None:
        return Judgement("error", "parallelism could not be measured (no server timings: a command server?)")
    if parallelism >= minimum:
        return None
    words = f"expected parallelism >= {minimum:g}, measured {parallelism:.1f} cores' worth of CPU at once"
    if cpu_cores < minimum:
        return Judgement("error", f"{words}, and this machine has {cpu_cores} CPU cores: it cannot show more")
    if machine_busy(figures.others_cpu_cores):
        return Judgement(
            "error",
            f"{words} while other processes used {figures.others_cpu_cores:.1f} CPU cores: the machine was too"
            " busy to show parallelism (the concurrency verdict does not depend on it)",
        )
    return Judgement("fail", words)


def failed_requests(figures: AttemptFigures) -> str | None:
    """'k of n requests failed; first: ...' when a calibration or burst request failed; None when none did."""
    if not figures.errors:
        return None
    first = figures.first_calibration_error or next(b.first_error for b in figures.bursts if b.first_error)
    total = figures.calibration_requests + sum(b.requests for b in figures.bursts)
    return f"{figures.errors} of {total} requests failed; first: {first}"


def judge(
    figures: AttemptFigures,
    low: float | None,
    high: float | None,
    expected: str,
    *,
    min_parallelism: float | None = None,
    cpu_cores: int | None = None,
) -> Judgement:
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
        values = sorted(b.measured for b in figures.judged)
        # Name the machine only when it was measured busy: uneven shares between workers vary bursts too.
        cause = (
            f" (other processes used {figures.others_cpu_cores:.1f} CPU cores)"
            if machine_busy(figures.others_cpu_cores)
            else ""
        )
        noise = f"; unstable: repeats measured {values[0]:.1f} to {values[-1]:.1f}{cause}"
    text = f"measured {measured:.1f}: {shape_of(measured)}{noise}{_unreadable_timings(figures)}{_streamed(figures)}"
    if (low is not None and measured < low) or (high is not None and measured > high):
        return Judgement("fail", f"expected {expected}, {text}")
    if min_parallelism is not None:
        problem_of_parallelism = parallelism_problem(
            figures, min_parallelism, cpu_cores if cpu_cores is not None else os.cpu_count() or 1
        )
        if problem_of_parallelism is not None:
            return Judgement(problem_of_parallelism.verdict, f"{problem_of_parallelism.reason}; {text}")
        text += f"; parallelism {figures.parallelism:.1f}"
    return Judgement("pass", text)


def _streamed(figures: AttemptFigures) -> str:
    """A body that streams after the view: the middleware cannot see the server's thread streaming it."""
    if not figures.streamed or figures.calibration_in_app_s is None:
        return ""
    return (
        f"; the body streams after the view answered ({figures.calibration_latency_s * 1000:.0f} ms a request"
        f" alone, {figures.calibration_in_app_s * 1000:.0f} ms of it in the view), so this is client-side C"
    )


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
