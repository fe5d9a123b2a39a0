"""Reference app that takes far longer to import than any boot timeout in the tests."""

import time

time.sleep(60)


def app(environ, start_response):
    start_response("200 OK", [])
    return [b""]
