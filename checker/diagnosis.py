"""Why a mode ran the way it did, in plain words, from client and server figures together (pure)."""

from __future__ import annotations

from checker.analysis import AttemptFigures
from checker.config import CONCURRENT_MIN_FRACTION, SERIALIZED_MAX_CONCURRENCY

# A handler that keeps its thread on the CPU for at least this share of its time when served alone is
# CPU-bound; sleeping or waiting on I/O handlers measure a few percent.
CPU_BOUND_SHARE = 0.5
# The server "admitted more than ran" when requests inside the app exceed effective concurrency by this much.
ADMITTED_EXCESS = 1.0


def diagnose(figures: AttemptFigures, cpu_cores: int) -> str:
    burst = figures.median_burst
    n = burst.requests
    measured = figures.effective_concurrency
    k = max(1, round(measured))
    server = burst.server
    if server is None:
        return _client_only(measured, n, k)
    admitted = server.admitted_concurrency
    where = f"{server.processes} process{'es' if server.processes != 1 else ''}, {server.threads} threads"
    if measured >= CONCURRENT_MIN_FRACTION * n:
        return f"requests ran concurrently: {admitted} inside the app at once ({where})"
    if admitted <= 1:
        return "the server handles one request at a time (threaded=False / one sync worker)"
    cpu_bound = figures.calibration_cpu_share is not None and figures.calibration_cpu_share >= CPU_BOUND_SHARE
    if cpu_bound and server.processes == 1:
        return (
            f"the handler is CPU-bound ({figures.calibration_cpu_share:.0%} CPU when alone): threads cannot run "
            f"Python code in parallel under the GIL; use processes/workers (admitted {admitted}, {where})"
        )
    if cpu_bound:
        return (
            f"the handler is CPU-bound ({figures.calibration_cpu_share:.0%} CPU when alone): {server.processes} "
            f"processes ran it, and {cpu_cores} CPU cores cap it at about {k}"
        )
    if admitted >= measured + ADMITTED_EXCESS and measured < SERIALIZED_MAX_CONCURRENCY:
        return (
            f"the server ran them together ({admitted} inside the app at once) but the app serialized them: "
            "a lock, or a shared resource of size 1"
        )
    if admitted >= measured + ADMITTED_EXCESS:
        return (
            f"the server admitted {admitted} at once but only about {k} made progress together: "
            f"the app caps concurrency (a semaphore, or a pool of {k} connections)"
        )
    if admitted < n:
        return f"concurrency is capped at about {admitted}: a pool of {admitted} workers/threads ({where})"
    return f"measured C {measured:.1f} with {admitted} inside the app at once ({where})"


def _client_only(measured: float, n: int, k: int) -> str:
    note = "client-side figures only: burstcheck did not launch the app, so it cannot tell server from app"
    if measured < SERIALIZED_MAX_CONCURRENCY:
        return f"requests ran one after another ({note})"
    if measured < CONCURRENT_MIN_FRACTION * n:
        return f"concurrency is capped at about {k} ({note})"
    return f"requests ran concurrently ({note})"
