"""Reference app with one route per truth class, for the accuracy benchmark and the estimator's tests.

Every route takes `?ms=` (the handler's time alone). What each lets run at once, in one process:
  /sleep      sleeps: as many as the server admits
  /lock       sleeps holding one global lock: 1
  /sem?k=K    sleeps holding a semaphore of K (a connection pool of K): K
  /cpu        pure-Python loop that holds the GIL: 1 per process (processes: up to the CPU cores)
  /hash       C code that releases the GIL (hashing, like a SQLite scan): up to the CPU cores, threads too
"""

import hashlib
import threading
import time
from urllib.parse import parse_qs

LOCK = threading.Lock()
SEMAPHORES = {}
SEMAPHORES_GUARD = threading.Lock()


def _semaphore(k):
    with SEMAPHORES_GUARD:
        return SEMAPHORES.setdefault(k, threading.BoundedSemaphore(k))


def _spin(seconds):
    started = time.thread_time()
    total = 0
    while time.thread_time() - started < seconds:
        total += sum(range(200))
    return total


BLOCK = bytes(1 << 20)  # hashlib releases the GIL for data over 2 KiB


def _hash(seconds):
    started = time.thread_time()
    digest = hashlib.sha256()
    while time.thread_time() - started < seconds:
        digest.update(BLOCK)
    return digest.hexdigest()


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    seconds = float(query.get("ms", ["20"])[0]) / 1000
    path = environ["PATH_INFO"]
    if path == "/sleep":
        time.sleep(seconds)
    elif path == "/lock":
        with LOCK:
            time.sleep(seconds)
    elif path == "/sem":
        with _semaphore(int(query.get("k", ["2"])[0])):
            time.sleep(seconds)
    elif path == "/cpu":
        _spin(seconds)
    elif path == "/hash":
        _hash(seconds)
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such route\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done\n"]
