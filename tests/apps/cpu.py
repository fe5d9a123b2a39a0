"""Reference app: a CPU-bound handler (0.1 s of thread CPU time per request, or ?seconds=X)."""

import time
from urllib.parse import parse_qs


def app(environ, start_response):
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0.1"])[0])
    started = time.thread_time()
    total = 0
    while time.thread_time() - started < seconds:  # pure Python work: holds the GIL while it runs
        total += sum(range(1000))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(total).encode()]
