"""The ASGI timing middleware, and the watchdog of each worker's event loop: the same ServerTiming header as
for WSGI, plus how long the loop was blocked. Lifespan and websocket events, and the body, pass through."""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import threading
import time
from typing import Any, Optional

from .timing import HEADER, RELEASE_HEADER, ServerTiming, thread_cpu_wait, wait_for_release

# The event loop beats this often; a beat overdue by more than LOOP_LATE_S means the loop is blocked (a healthy
# loop runs a due timer within a fraction of a millisecond).
LOOP_TICK_S = 0.001
LOOP_LATE_S = 0.001
LOOP_SAMPLE_S = 0.001  # how often the watchdog thread looks: a 5 ms blocking call is seen for most of its time
LOOP_EVENTS_KEPT = 100_000
# The watchdog's own sleep overshooting by more than this means the process was off the CPU.
WATCHDOG_LATE_S = 0.003
# The watchdog needs the GIL to look; a handler that computes in `async def` holds it, and hands it over every
# switch interval: Python's 5 ms would make every look late (and uncounted). An event loop's process has
# the loop's thread, the watchdog and a pool's threads: few enough that a finer interval costs little.
SWITCH_INTERVAL_S = 0.0005


class LoopMonitor:
    """How long the event loop was unable to run its callbacks (a blocking call in `async def`, or CPU-bound
    work in one), one per worker process, started by its first request.

    The loop runs a heartbeat every LOOP_TICK_S; a watchdog thread samples how stale the last beat is. Time
    sampled while the beat is overdue by more than LOOP_LATE_S counts as blocked. A thread, because a late
    timer would only be seen once the loop runs again, after the blocking requests were answered."""

    def __init__(self) -> None:
        self.blocked_s = 0.0  # since the worker started
        self.events: Any = collections.deque(maxlen=LOOP_EVENTS_KEPT)  # (when, how late the beat was)
        self.started = False
        self.last_beat = 0.0

    def start(self) -> None:
        if self.started:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # trio (hypercorn worker_class: trio): no lag figures
            return
        self.started = True
        self.last_beat = time.monotonic()

        def beat() -> None:
            self.last_beat = time.monotonic()
            loop.call_later(LOOP_TICK_S, beat)

        loop.call_later(LOOP_TICK_S, beat)
        threading.Thread(target=self._watch, name="burstcheck-loop-watch", daemon=True).start()

    def _watch(self) -> None:
        previous = time.monotonic()
        while True:
            time.sleep(LOOP_SAMPLE_S)
            now = time.monotonic()
            late = now - self.last_beat - LOOP_TICK_S
            # Counted only while the watchdog itself ran on time: when the whole process was off the CPU (a
            # busy machine), neither it nor the loop could run, and that is the machine, not the app.
            if late > LOOP_LATE_S and now - previous <= LOOP_SAMPLE_S + WATCHDOG_LATE_S:
                self.blocked_s += now - previous
                self.events.append((now, late))
            previous = now

    def lag_now(self) -> float:
        """How late the beat is at this moment: a request answered at the end of a blocking call is answered
        before the watchdog's next look, and the beat has not run since the call began."""
        return max(0.0, time.monotonic() - self.last_beat - LOOP_TICK_S) if self.started else 0.0

    def worst_since(self, since_s: float) -> float:
        """The worst lag recorded since `since_s`. Read from the newest back and stopped at the first older
        one: this runs in every answer, inside the measured time, and the deque holds up to 100 000 events.
        (Indexed, not iterated: the watchdog thread appends meanwhile.)"""
        worst, back = 0.0, 1
        while True:
            try:
                when, late = self.events[-back]
            except IndexError:
                return worst
            if when < since_s:
                return worst
            worst, back = max(worst, late), back + 1


LOOP = LoopMonitor()


class AsgiTimingMiddleware:
    """The ASGI side of the WSGI TimingMiddleware: the same record in the same header, set on
    `http.response.start`, plus the event loop's blocked time (cumulative, at entry and at the answer) and its
    worst lag meanwhile."""

    def __init__(self, app: Any, inject_delay_s: float = 0.0) -> None:
        self.app = app
        self.inject_delay_s = inject_delay_s
        sys.setswitchinterval(SWITCH_INTERVAL_S)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        LOOP.start()
        admitted_s = time.monotonic()
        release = _header(scope, RELEASE_NAME)
        if release is not None:  # burstcheck's, not the app's: the app never sees it
            scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", ()) if k != RELEASE_NAME]}
        wait_s = wait_for_release(release, admitted_s)
        if wait_s:
            await _sleep(wait_s)
        enter_s = time.monotonic()
        cpu_start_s = time.process_time()
        cpu_wait_at_enter = thread_cpu_wait()
        blocked_at_enter = LOOP.blocked_s
        if self.inject_delay_s:
            await _sleep(self.inject_delay_s)

        async def timed_send(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                cpu_wait_at_exit = thread_cpu_wait()  # inside the request's time, as at its entry
                exit_s = time.monotonic()
                cpu_now_s = time.process_time()
                size, borrowed, waiting = _thread_pool()
                timing = ServerTiming(
                    pid=os.getpid(),
                    thread_id=threading.get_native_id(),
                    enter_s=enter_s,
                    exit_s=exit_s,
                    cpu_s=cpu_now_s - cpu_start_s,
                    process_cpu_enter_s=cpu_start_s,
                    process_cpu_exit_s=cpu_now_s,
                    pool_size=size,
                    pool_borrowed=borrowed,
                    pool_waiting=waiting,
                    loop_blocked_enter_s=blocked_at_enter if LOOP.started else None,
                    loop_blocked_exit_s=LOOP.blocked_s if LOOP.started else None,
                    loop_lag_max_s=max(LOOP.worst_since(enter_s), LOOP.lag_now()) if LOOP.started else None,
                    loop_cpu_wait_enter_s=cpu_wait_at_enter,
                    loop_cpu_wait_exit_s=cpu_wait_at_exit,
                    admitted_s=admitted_s if release else None,
                )
                header = (HEADER.lower().encode(), timing.to_header().encode())
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, timed_send)


RELEASE_NAME = RELEASE_HEADER.lower().encode()


def _thread_pool() -> tuple[Optional[int], Optional[int], Optional[int]]:
    """anyio's default thread pool (where Starlette and FastAPI run `def` endpoints), if the app uses it: its
    size, the threads in use and the tasks waiting for one. Read, never created: an app that does not use
    anyio is not made to import it."""
    to_thread = sys.modules.get("anyio.to_thread")
    if to_thread is None:
        return None, None, None
    try:
        statistics = to_thread.current_default_thread_limiter().statistics()
        return int(statistics.total_tokens), int(statistics.borrowed_tokens), int(statistics.tasks_waiting)
    except Exception:  # not in an anyio-aware loop (trio without anyio's backend), or an anyio of another shape
        return None, None, None


def _header(scope: dict[str, Any], name: bytes) -> Optional[str]:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _sleep(seconds: float) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        await trio.sleep(seconds)
        return
    await asyncio.sleep(seconds)
