"""Reference app: one global lock around a sleeping handler; the app serializes whatever the server does."""

import threading
import time
from urllib.parse import parse_qs

LOCK = threading.Lock()


def app(environ, start_response):
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0.2"])[0])
    with LOCK:
        time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done\n"]
