"""Why a mode ran the way it did, in plain words, from the estimate and the figures behind it (pure)."""

from __future__ import annotations

from checker.analysis.estimate import AllowedConcurrency
from checker.analysis.figures import AttemptFigures
from checker.config import CONCURRENT_MIN_FRACTION, SERIALIZED_MAX_CONCURRENCY

# In one process, CPU-bound requests whose CPU time added up to more than this many cores at once ran
# outside the GIL (C code that releases it: a SQLite scan, hashing, compression).
GIL_RELEASED_PARALLELISM = 1.3
# An event loop blocked for this share of the burst (per worker) served requests one at a time: a handler's
# blocking call, not the server, set the pace.
LOOP_BLOCKED_SHARE = 0.5
# Starlette and FastAPI run `def` endpoints in anyio's thread pool, 40 threads unless raised.
ANYIO_THREADS = 40
# The pool's level in service reads a little low under load (threads start late): 35 to 45 is the pool of 40.
THREAD_POOL_SLACK = 5
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
    burst = figures.median_burst
    n = burst.requests
    server = burst.server
    allowed = burst.allowed
    if server is None or allowed is None:
        return _client_only(figures.measured, n)
    k = allowed.value
    where = f"{_count(server.processes, 'process', 'processes')}, {_count(server.threads, 'thread', 'threads')}"
    loop = _event_loop(figures, server.processes)
    if loop:
        return loop
    if allowed.server_cap == 1:  # whatever the handler does, one at a time is the server's doing
        return "the server handles one request at a time (threaded=False / one sync worker)"
    cpu = _cpu(figures, allowed, server.processes, cpu_cores, where)
    if cpu is not None:
        return cpu
    if allowed.limited_by == "server" and allowed.server_cap is not None:
        cap = allowed.server_cap
        if server.processes == n:
            return f"concurrency is capped at {cap}: the server forks a process per request, at most {cap} at once"
        return f"concurrency is capped at {cap}: a pool of {cap} workers/threads in the server ({where})"
    if allowed.limited_by == "app" and allowed.app_limit is not None:
        inside = server.admitted_concurrency
        if burst.loop_blocked_s is not None and abs(allowed.app_limit - ANYIO_THREADS) <= THREAD_POOL_SLACK:
            return (
                f"sync endpoints run in a thread pool capped at {ANYIO_THREADS} (anyio's default): the server admitted"
                f" {inside} at once, about {round(allowed.app_limit)} ran; make the endpoint `async def` with async"
                " clients, or raise anyio's thread limiter"
            )
        if k < SERIALIZED_MAX_CONCURRENCY:
            return (
                f"the server ran them together ({inside} inside the app at once) but the app serialized them: "
                f"{allowed.queued_share:.0%} of the requests waited their turn inside the app (a lock, or a shared "
                "resource of size 1)"
            )
        return (
            f"the server admitted {inside} at once but only about {round(k)} made progress together: "
            f"the app caps concurrency (a semaphore, or a pool of {round(k)} connections)"
        )
    if k >= CONCURRENT_MIN_FRACTION * n:
        return f"requests ran concurrently: nothing in the server or the app made them wait ({where})"
    return f"allowed {k:.1f} with {server.admitted_concurrency} inside the app at once ({where})"


def _event_loop(figures: AttemptFigures, workers: int) -> str:
    """ASGI on asyncio: a loop blocked for most of the burst served one request at a time, whatever ran."""
    burst = figures.median_burst
    blocked = burst.loop_blocked_s
    if blocked is None or blocked < LOOP_BLOCKED_SHARE * burst.burst_wall_s * workers:
        return ""
    span = f"{blocked:.1f} s of the {burst.burst_wall_s:.1f} s burst" + (
        f" (over {workers} workers)" if workers > 1 else ""
    )
    if figures.cpu_bound:
        return (
            f"a CPU-bound handler held the event loop for {span}: {figures.calibration_cpu_share:.0%} CPU when"
            " alone, so the loop serves nothing else while it runs; move the work to a process pool"
            " (loop.run_in_executor), or run more workers"
        )
    return (
        f"the event loop was blocked for {span}: a blocking call inside `async def` (for example time.sleep,"
        " requests, a synchronous database driver); make the endpoint `def` or await an async client"
    )


def _cpu(
    figures: AttemptFigures, allowed: AllowedConcurrency, processes: int, cpu_cores: int, where: str
) -> str | None:
    """CPU-bound handlers: the GIL, the cores, or C code that runs in parallel; None for other handlers."""
    if not figures.cpu_bound or allowed.cpu_parallelism is None:
        return None
    share = f"{figures.calibration_cpu_share:.0%} CPU when alone"
    parallel = allowed.cpu_parallelism
    if processes == 1 and parallel >= GIL_RELEASED_PARALLELISM:
        return (
            f"the handler is CPU-bound ({share}) but its work runs outside the GIL (C code that releases it): "
            f"{parallel:.1f} cores' worth ran at once in one process ({where})"
        )
    if processes == 1 and allowed.finished_one_by_one:
        return (
            f"the handler is CPU-bound ({share}) and the requests finished one after another, one service time "
            f"apart: a lock around the work, or the GIL keeping the server from taking the next request; "
            f"use processes/workers ({where})"
        )
    if processes == 1:
        return (
            f"the handler is CPU-bound ({share}): the requests progressed together and finished together, "
            f"sharing one core under the GIL; threads cannot run Python code in parallel, use processes/workers "
            f"({where})"
        )
    return (
        f"the handler is CPU-bound ({share}): {processes} processes ran it, and the machine's {cpu_cores} CPU "
        f"cores cap it at about {parallel:.1f}"
    )


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _client_only(measured: float, n: int) -> str:
    note = "client-side figures only: burstcheck did not launch the app, so it cannot tell server from app"
    if measured < SERIALIZED_MAX_CONCURRENCY:
        return f"requests ran one after another ({note})"
    if measured < CONCURRENT_MIN_FRACTION * n:
        return f"concurrency is capped at about {round(measured)} ({note})"
    return f"requests ran concurrently ({note})"
