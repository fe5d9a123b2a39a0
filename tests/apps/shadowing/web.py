"""Reference app whose folder holds its own `checker` package."""

import time

from checker import WHO


def app(environ, start_response):
    time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [WHO]
