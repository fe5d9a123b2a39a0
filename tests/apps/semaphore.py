"""Reference app: a pool of 2 (a semaphore) around a sleeping handler, like a connection pool of size 2."""

import threading
import time
from urllib.parse import parse_qs

POOL = threading.BoundedSemaphore(2)


def app(environ, start_response):
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0.15"])[0])
    with POOL:
        time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done\n"]
