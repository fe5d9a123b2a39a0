"""WSGI middleware that burstcheck wraps around the user's app when it launches the server itself.

It reports, in a response header, what happened inside the server for each request: which process and
thread served it, when it entered and left the app (time.monotonic(), the client's clock too: on Linux one
system-wide clock, comparable across processes), and the thread CPU time it used. The body is untouched.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

SERVER_TIMING_HEADER = "X-Burstcheck-Server"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TimingMiddleware:
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
            # Most frameworks (Flask included) call start_response once the view has returned: the
            # request's work is done here, even if the body is iterated afterwards.
            timing = {
                "pid": os.getpid(),
                "thread_id": threading.get_native_id(),  # OS ids are not reused while a burst runs
                "enter_s": enter_s,
                "exit_s": time.monotonic(),
                "cpu_s": time.thread_time() - cpu_start_s,
            }
            headers = [*headers, (SERVER_TIMING_HEADER, json.dumps(timing, separators=(",", ":")))]
            return start_response(status, headers, *exc_info)

        return self.app(environ, timed_start_response)
