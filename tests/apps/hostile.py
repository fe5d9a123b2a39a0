"""Reference app whose answers are hostile to a client, for the fault suite (tests/faults/).

/ok?ms=M      sleeps M ms, answers 200
/record       appends the request's method, X- headers and body to the file named by RECORD_FILE
/stream       answers 200 and then streams one byte every 0.5 s, for ever
/gzip-lie     says Content-Encoding: gzip, sends a plain body
/cut          a chunked body that stops part-way (the handler raises while streaming)
/big?mb=M     a body of M MiB, sent in 1 MiB blocks
/hang         never answers
"""

import json
import os
import time
from urllib.parse import parse_qs

BLOCK = b"x" * (1 << 20)


def _stream():
    while True:
        yield b"."
        time.sleep(0.5)


def _cut():
    yield b"first part\n"
    raise RuntimeError("the body stops here")


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    path = environ["PATH_INFO"]
    time.sleep(float(query.get("ms", ["0"])[0]) / 1000)
    if path == "/record":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen = {
            "method": environ["REQUEST_METHOD"],
            "headers": {k[5:]: v for k, v in environ.items() if k.startswith("HTTP_X_")},
            "body": environ["wsgi.input"].read(length).decode() if length else None,
        }
        with open(os.environ["RECORD_FILE"], "a") as record:
            record.write(json.dumps(seen) + "\n")
    elif path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream()
    elif path == "/gzip-lie":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")])
        return [b"this is not gzip"]
    elif path == "/cut":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _cut()
    elif path == "/big":
        blocks = int(query.get("mb", ["1"])[0])
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(blocks << 20))])
        return (BLOCK for _ in range(blocks))
    elif path == "/hang":
        time.sleep(3600)
    elif path != "/ok":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such route\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
