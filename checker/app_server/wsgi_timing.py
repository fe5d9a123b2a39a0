"""The WSGI timing middleware: each answer carries a ServerTiming header; the body is untouched.

Besides when a request entered and left the app, it records whether the other requests inside the app made
progress while this one was served: a lock makes them wait their turn (no CPU used while they wait), the GIL
only makes them take turns (each runs a little, all progress). From the outside both look the same for a
CPU-bound handler - requests that leave one after another - so the evidence is taken from the inside: at each
answer, the CPU clocks of (up to PEERS_SAMPLED_MAX) other requests still in the app.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Optional

from .timing import HEADER, RELEASE_HEADER, ServerTiming, thread_cpu_wait, wait_for_release

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
RELEASE_ENVIRON = "HTTP_" + RELEASE_HEADER.upper().replace("-", "_")
# Reading another thread's CPU clock costs about a microsecond: a handful per answer keeps the evidence cheap.
PEERS_SAMPLED_MAX = 16
# A peer "progressed" when it had used at least this share of the CPU that the answering request used in all.
# Behind a lock a waiting peer has used only what it did before the lock; under the GIL, peers that take
# turns are each part of the way through.
PEER_PROGRESS_SHARE = 0.25
# CPU clocks of other threads: Linux and the BSDs; not macOS, where no peer evidence is recorded.
CPU_CLOCKS = hasattr(time, "pthread_getcpuclockid")
# While a burst's requests are in the app, threads hand the GIL over this often instead of every 5 ms, so that
# requests whose handlers compute for a millisecond take turns, as threads serving them together would,
# rather than run one after another because none waited long enough to be asked for the GIL (a lock still
# makes them wait). Every thread waiting for the GIL wakes once an interval to ask for it, so with more than
# FINE_SWITCHING_MAX requests in the app the interval is COARSE_SWITCH_INTERVAL_S: a burst of 2000 on
# werkzeug's threads, woken together, spent 35-59 s of CPU a burst (nearly all in the kernel) waking up at
# Python's own 5 ms, and took 18-36 s; at 100 ms it used 2.3 s and took 2.2-3.7 s. Threads that sleep, read
# or write let go of the GIL themselves, sooner.
FINE_SWITCH_INTERVAL_S = 0.0005
FINE_SWITCHING_MAX = 128
COARSE_SWITCH_INTERVAL_S = 0.1


class _Switching:
    """The GIL's switch interval while burst requests are in the app: fine for a few, coarse for many, Python's
    own when there are none."""

    def __init__(self) -> None:
        self.default_s = sys.getswitchinterval()
        self.inside = 0
        self.lock = threading.Lock()  # held for a counter and one C call, never while reading clocks

    def entered(self) -> None:
        with self.lock:
            self.inside += 1
            if self.inside == 1:
                sys.setswitchinterval(FINE_SWITCH_INTERVAL_S)
            elif self.inside == FINE_SWITCHING_MAX + 1:
                sys.setswitchinterval(COARSE_SWITCH_INTERVAL_S)

    def left(self) -> None:
        with self.lock:
            self.inside -= 1
            if self.inside == 0:
                sys.setswitchinterval(self.default_s)
            elif self.inside == FINE_SWITCHING_MAX:
                sys.setswitchinterval(FINE_SWITCH_INTERVAL_S)


_SWITCHING = _Switching()


@dataclass
class _InApp:
    clock: Optional[int]  # the request thread's CPU clock (None where there are no such clocks)
    cpu_at_enter_s: float


# The requests inside the app now, by thread. No lock guards it: a change is one C call, done whole under the
# GIL, and a copy of a few peers is taken again if another thread changed it meanwhile. (A lock held while
# reading the peers' clocks was itself a queue: a thread switched out inside it kept every finished request
# from leaving, and those, done but still "in the app", read as peers that had progressed - behind a lock in
# the app too.)
_IN_APP: dict[int, _InApp] = {}


def _some_peers() -> list[_InApp]:
    while True:
        try:
            return list(itertools.islice(_IN_APP.values(), PEERS_SAMPLED_MAX))
        except RuntimeError:  # changed by another thread: a collection's finalizer can switch threads inside
            continue


def _enter() -> _InApp:
    """A burst's request enters the app: registered for its peers."""
    clock = time.pthread_getcpuclockid(threading.get_ident()) if CPU_CLOCKS else None
    entry = _InApp(clock, time.clock_gettime(clock) if clock is not None else 0.0)
    _IN_APP[threading.get_ident()] = entry
    return entry


def _leave(own_cpu_s: float) -> tuple[Optional[int], Optional[int]]:
    """Leave the app; how many peers still inside were sampled, and how many of them had progressed."""
    if _IN_APP.pop(threading.get_ident(), None) is None:
        return None, None  # left already (an app that answers from its body)
    _SWITCHING.left()
    if not CPU_CLOCKS:
        return None, None
    used = []
    for peer in _some_peers():
        try:
            used.append(time.clock_gettime(peer.clock) - peer.cpu_at_enter_s)  # type: ignore[arg-type]
        except OSError:
            continue  # the peer left and its thread ended meanwhile
    return len(used), sum(cpu_s >= PEER_PROGRESS_SHARE * own_cpu_s for cpu_s in used)


class TimingMiddleware:
    """Reports what happened inside the server for each request: which process and OS thread served it, when
    it was admitted and when it entered and left the app, the thread CPU time it used, and how its peers
    progressed meanwhile."""

    def __init__(self, app: WSGIApp, inject_delay_s: float = 0.0) -> None:
        self.app = app
        self.inject_delay_s = inject_delay_s

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        admitted_s = time.monotonic()
        release = environ.pop(RELEASE_ENVIRON, None)  # burstcheck's, not the app's: the app never sees it
        wait_s = wait_for_release(release, admitted_s)
        if release:
            # Counted for the switch interval from admission, so that the threads the release wakes together
            # already wait for the GIL with the fine interval. (Threads that began waiting under Python's 5 ms
            # let the first one in run its whole millisecond handler before the next got in: the requests
            # entered one after another and a lock in the app never showed.)
            _SWITCHING.entered()
        if wait_s:
            time.sleep(wait_s)
        # Nothing here lets go of the GIL between the entry and the registration (a request that waited for it
        # there was in the app unseen by its peers: behind a lock around 1 ms of CPU, beside CPU hogs, answers
        # sampled no peer at all and the lock read as the GIL), and the CPU wait is read inside the request's
        # time in the app, at both ends, so that no wait before its entry or after its answer counts in it.
        enter_s = time.monotonic()
        cpu_wait_enter_s = thread_cpu_wait()
        registered = _enter() if release else None  # only a burst's requests have peers to take turns with
        cpu_start_s = time.thread_time()
        if self.inject_delay_s:
            # Stands in for work, so that a server's own queueing shows even on a 2 ms endpoint.
            time.sleep(self.inject_delay_s)

        def timed_start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            # Most frameworks (Flask, Django) call start_response once the view has returned: the request's
            # work is done here, even if the body is iterated afterwards.
            cpu_s = time.thread_time() - cpu_start_s
            process_cpu_exit_s = time.process_time()
            cpu_wait_exit_s = thread_cpu_wait()
            exit_s = time.monotonic()
            peers, progressed = _leave(cpu_s) if registered else (None, None)
            timing = ServerTiming(
                pid=os.getpid(),
                thread_id=threading.get_native_id(),
                enter_s=enter_s,
                exit_s=exit_s,
                cpu_s=cpu_s,
                admitted_s=admitted_s if release else None,
                peers=peers,
                peers_progressed=progressed,
                cpu_wait_enter_s=cpu_wait_enter_s,
                cpu_wait_exit_s=cpu_wait_exit_s,
                process_cpu_exit_s=process_cpu_exit_s,
            )
            return start_response(status, [*headers, (HEADER, timing.to_header())], *exc_info)

        try:
            return self.app(environ, timed_start_response)
        finally:
            if registered:  # an app that raised, or answers later from its body, is no longer in the app
                _leave(0.0)
