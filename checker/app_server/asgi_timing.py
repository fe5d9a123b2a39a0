"""The ASGI timing middleware, and the watchdog of each worker's event loop: the same ServerTiming header as
for WSGI, plus how long the loop was blocked. Lifespan and websocket events, and the body, pass through."""

from __future__ import annotations

import asyncio
import collections
import os
import threading
import time
from typing import Any

from .timing import HEADER, ServerTiming

# The event loop beats this often; a beat overdue by more than LOOP_LATE_S means the loop is blocked (a healthy
# loop runs a due timer within a fraction of a millisecond).
LOOP_TICK_S = 0.005
LOOP_LATE_S = 0.002
LOOP_SAMPLE_S = 0.002  # how often the watchdog thread looks
LOOP_EVENTS_KEPT = 100_000


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
            if late > LOOP_LATE_S:
                self.blocked_s += now - previous
                self.events.append((now, late))
            previous = now

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

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        LOOP.start()
        enter_s = time.monotonic()
        cpu_start_s = time.thread_time()
        blocked_at_enter = LOOP.blocked_s
        if self.inject_delay_s:
            await _sleep(self.inject_delay_s)

        async def timed_send(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                timing = ServerTiming(
                    pid=os.getpid(),
                    thread_id=threading.get_native_id(),
                    enter_s=enter_s,
                    exit_s=time.monotonic(),
                    cpu_s=time.thread_time() - cpu_start_s,
                    loop_blocked_enter_s=blocked_at_enter if LOOP.started else None,
                    loop_blocked_exit_s=LOOP.blocked_s if LOOP.started else None,
                    loop_lag_max_s=LOOP.worst_since(enter_s) if LOOP.started else None,
                )
                header = (HEADER.lower().encode(), timing.to_header().encode())
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, timed_send)


async def _sleep(seconds: float) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        await trio.sleep(seconds)
        return
    await asyncio.sleep(seconds)
