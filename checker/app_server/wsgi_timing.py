"""The WSGI timing middleware: each answer carries a ServerTiming header; the body is untouched."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .timing import HEADER, ServerTiming

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TimingMiddleware:
    """Reports what happened inside the server for each request: which process and OS thread served it, when
    it entered and left the app, and the thread CPU time it used."""

    def __init__(self, app: WSGIApp, inject_delay_s: float = 0.0) -> None:
        self.app = app
        self.inject_delay_s = inject_delay_s

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        enter_s = time.monotonic()
        cpu_start_s = time.thread_time()
        if self.inject_delay_s:
            # Stands in for work, so that a server's own queueing shows even on a 2 ms endpoint.
            time.sleep(self.inject_delay_s)

        def timed_start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            # Most frameworks (Flask, Django) call start_response once the view has returned: the request's
            # work is done here, even if the body is iterated afterwards.
            timing = ServerTiming(
                pid=os.getpid(),
                thread_id=threading.get_native_id(),
                enter_s=enter_s,
                exit_s=time.monotonic(),
                cpu_s=time.thread_time() - cpu_start_s,
            )
            return start_response(status, [*headers, (HEADER, timing.to_header())], *exc_info)

        return self.app(environ, timed_start_response)
