"""Why a mode ran the way it did, in plain words, from the estimate and the figures behind it (pure)."""

from __future__ import annotations

from checker.analysis.estimate import AllowedConcurrency
from checker.analysis.figures import AttemptFigures
from checker.config import CONCURRENT_MIN_FRACTION, SERIALIZED_MAX_CONCURRENCY

# In one process, CPU-bound requests whose CPU time added up to more than this many cores at once ran
# outside the GIL (C code that releases it: a SQLite scan, hashing, compression).
GIL_RELEASED_PARALLELISM = 1.3
# Starlette and FastAPI run `def` endpoints in anyio's thread pool, 40 threads unless raised.
ANYIO_THREADS = 40
# Fewer than this many in service at once, with nothing making them wait, is a fast handler: say what was
# proved (admitted together, never made to wait) rather than that they "ran concurrently".
OVERLAP_SHOWN = 4
# Client C below this share of the allowed concurrency, with transfers longer than the handler, is the
# transfer's doing: a half is far outside the run-to-run noise of either figure.
TRANSFER_BOUND_SHARE = 0.5
# Below this a response is one or a few TCP segments: its "transfer" time is the client's or the server's
# work on many connections, not bytes on the wire.
LARGE_BODY_BYTES = 256 * 1024


def diagnose(figures: AttemptFigures, cpu_cores: int) -> str:
    backlog = _backlog(figures)
    why = _why(figures, cpu_cores)
    if backlog and figures.measured < CONCURRENT_MIN_FRACTION * figures.median_burst.requests:
        return backlog + f" (the estimate, {figures.measured:.1f}, rests partly on the kernel's retry)"
    return why + (f"; {backlog}" if backlog else "") + _transfer_note(figures)


def _backlog(figures: AttemptFigures) -> str:
    """A late wave of arrivals: the kernel's retry after the server's listen backlog overflowed."""
    burst = figures.median_burst
    if not burst.late_arrivals:
        return ""
    return (
        f"{burst.late_arrivals} of {burst.requests} requests reached the app {burst.late_by_s:.1f} s after the"
        " rest: the server's listen backlog overflowed and the kernel delivered them on a retry (werkzeug's"
        " backlog is 128; gunicorn has `--backlog`); burst fewer requests, or raise the backlog"
    )


def _transfer_note(figures: AttemptFigures) -> str:
    """Large responses: the server let the requests run together, yet clients waited on the bytes."""
    burst = figures.median_burst
    in_app_s = figures.calibration_in_app_s
    if burst.allowed is None or burst.transfer_p50_s is None or in_app_s is None:
        return ""
    if burst.body_bytes_p50 < LARGE_BODY_BYTES:  # small answers are late for other reasons (the client's work)
        return ""
    if burst.transfer_p50_s <= in_app_s or burst.effective_concurrency >= TRANSFER_BOUND_SHARE * burst.measured:
        return ""
    return (
        f"; responses of {_size(burst.body_bytes_p50)} took longer to transfer than the handler ran"
        f" ({burst.transfer_p50_s * 1000:.0f} ms after the app answered, {in_app_s * 1000:.0f} ms in the app):"
        f" clients waited on the transfer, so client C is only {burst.effective_concurrency:.1f}"
    )


def _size(body_bytes: int) -> str:
    if body_bytes >= 1 << 20:
        return f"{body_bytes / (1 << 20):.0f} MiB"
    return f"{body_bytes / 1024:.0f} KiB" if body_bytes >= 1024 else f"{body_bytes} bytes"


def _why(figures: AttemptFigures, cpu_cores: int) -> str:
    """What made the requests wait, or that nothing did; then, for CPU-bound handlers, how much ran in
    parallel (a separate question: the GIL and the cores, not the structure)."""
    burst = figures.median_burst
    server = burst.server
    allowed = burst.allowed
    if figures.streamed:
        note = "client-side figures: the body streams after the view answered, out of the middleware's sight"
        return _client_only(figures.measured, burst.requests, note)
    if server is None or allowed is None:
        note = "client-side figures only: burstcheck did not launch the app, so it cannot tell server from app"
        return _client_only(figures.measured, burst.requests, note)
    return _structure(figures, allowed, server.processes, server.threads, server.admitted_concurrency) + _parallel(
        figures, allowed, server.processes, cpu_cores
    )


def _structure(figures: AttemptFigures, allowed: AllowedConcurrency, processes: int, threads: int, inside: int) -> str:
    burst = figures.median_burst
    n = burst.requests
    k = allowed.value
    where = f"{_count(processes, 'process', 'processes')}, {_count(threads, 'thread', 'threads')}"
    if allowed.limited_by == "loop":
        return _event_loop(figures, processes)
    if allowed.limited_by == "pool" and allowed.thread_pool is not None:
        return (
            f"sync endpoints run in a thread pool capped at {allowed.thread_pool} (anyio's default is"
            f" {ANYIO_THREADS}): the server admitted {allowed.together} at once, the others waited for a thread;"
            " make the endpoint `async def` with async clients, or raise anyio's thread limiter"
        )
    if allowed.server_cap == 1:  # whatever the handler does, one at a time is the server's doing
        return "the server handles one request at a time (threaded=False / one sync worker)"
    if allowed.limited_by == "server" and allowed.server_cap is not None:
        cap = allowed.server_cap
        if processes == n:
            return f"concurrency is capped at {cap}: the server forks a process per request, at most {cap} at once"
        return f"concurrency is capped at {cap}: a pool of {cap} workers/threads in the server ({where})"
    if allowed.limited_by == "app" and allowed.app_limit is not None:
        if k < SERIALIZED_MAX_CONCURRENCY:
            held = (
                " around CPU-bound work (the others made no progress while one was served)" if figures.cpu_bound else ""
            )
            return (
                f"the server ran them together ({inside} inside the app at once) but the app serialized them: "
                f"{allowed.queued_share:.0%} of the requests waited their turn inside the app (a lock{held}, or"
                " a shared resource of size 1)"
            )
        return (
            f"the server admitted {inside} at once but only about {round(k)} made progress together: "
            f"the app caps concurrency (a semaphore, or a pool of {round(k)} connections)"
        )
    if k >= CONCURRENT_MIN_FRACTION * n:
        if allowed.overlap < min(n, OVERLAP_SHOWN):
            # A fast handler: they were inside the server together, and none was ever made to wait in the app.
            return (
                f"requests were served together: the server admitted {allowed.together} at once and the app was"
                f" never seen to make one wait ({where})"
            )
        return f"requests ran concurrently: nothing in the server or the app made them wait ({where})"
    return f"allowed {k:.1f} with {inside} inside the app at once ({where})"


def _event_loop(figures: AttemptFigures, workers: int) -> str:
    """ASGI on asyncio: a loop blocked for most of the burst served one request at a time, whatever ran."""
    burst = figures.median_burst
    blocked = burst.loop_blocked_s or 0.0
    span = f"{blocked:.1f} s of the {burst.burst_wall_s:.1f} s burst" + (
        f" (over {workers} workers)" if workers > 1 else ""
    )
    if figures.cpu_bound:
        return (
            f"a CPU-bound handler held the event loop for {span}: {figures.calibration_cpu_share or 0:.0%} CPU"
            " when alone, so the loop serves nothing else while it runs; move the work to a process pool"
            " (loop.run_in_executor), or run more workers"
        )
    return (
        f"the event loop was blocked for {span}: a blocking call inside `async def` (for example time.sleep,"
        " requests, a synchronous database driver); make the endpoint `def` or await an async client"
    )


def _parallel(figures: AttemptFigures, allowed: AllowedConcurrency, processes: int, cpu_cores: int) -> str:
    """For CPU-bound handlers served together: how many cores' worth ran at once, and what capped it."""
    if not figures.cpu_bound or allowed.limited_by == "loop" or allowed.value < SERIALIZED_MAX_CONCURRENCY:
        return ""
    share = f"CPU-bound, {figures.calibration_cpu_share or 0:.0%} CPU when alone"
    parallel = allowed.cpu_parallelism
    if processes == 1 and parallel >= GIL_RELEASED_PARALLELISM:
        return f"; {share}: {parallel:.1f} cores' worth ran at once, outside the GIL (C code that releases it)"
    if processes == 1 and figures.median_burst.loop_blocked_s is not None:  # an asyncio worker
        return (
            f"; {share}: they took turns on the event loop, {parallel:.1f} cores' worth at once - one process"
            " runs its requests' Python code one step at a time: for more throughput use more workers, or move"
            " the CPU work off the loop"
        )
    if processes == 1:
        return (
            f"; {share}: they took turns at the GIL, {parallel:.1f} cores' worth at once - threads cannot run"
            " Python code in parallel: for more throughput use processes/workers"
        )
    return f"; {share}: {processes} processes ran it, {parallel:.1f} cores' worth at once on {cpu_cores} CPU cores"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _client_only(measured: float, n: int, note: str) -> str:
    if measured < SERIALIZED_MAX_CONCURRENCY:
        return f"requests ran one after another ({note})"
    if measured < CONCURRENT_MIN_FRACTION * n:
        return f"concurrency is capped at about {round(measured)} ({note})"
    return f"requests ran concurrently ({note})"
