"""Reference app: every request sleeps (default 0.2 s; ?seconds=X), so concurrency shows as time saved."""

import time
from urllib.parse import parse_qs


def app(environ, start_response):
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0.2"])[0])
    time.sleep(seconds)
    if environ["PATH_INFO"] == "/teapot":
        start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
        return [b"short and stout\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slept\n"]
