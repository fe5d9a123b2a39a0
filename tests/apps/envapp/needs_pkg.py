"""Reference app that imports a package only its own environment has (tests/apps/envpkg)."""

import time
from urllib.parse import parse_qs

import greeting


def app(environ, start_response):
    time.sleep(float(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["50"])[0]) / 1000)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [greeting.greet()]
