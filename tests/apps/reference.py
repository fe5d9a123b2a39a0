"""Reference app with one route per truth class, for the accuracy benchmark and the estimator's tests.

Every route takes `?ms=` (the handler's time alone). What each lets run at once, in one process:
  /sleep      sleeps: as many as the server admits
  /lock       sleeps holding one global lock: 1
  /sem?k=K    sleeps holding a semaphore of K (a connection pool of K): K
  /cpu        pure-Python loop that holds the GIL: served together, 1 core's worth per process (processes: up to
              the CPU cores)
  /lock-cpu   the pure-Python loop holding one global lock: 1
  /cold       sleeps, after 0.2 s of CPU on a process's first request (lazy imports, a cache filled on first
              use): a cold worker looks CPU-bound when calibrated alone
  /hash       C code that releases the GIL (hashing, like a SQLite scan): up to the CPU cores, threads too
"""

import hashlib
import os
import threading
import time
from urllib.parse import parse_qs

from cpu_work import spin

LOCK = threading.Lock()
SEMAPHORES = {}
WARM = set()  # the processes whose first request has run
COLD_START_S = 0.2
SEMAPHORES_GUARD = threading.Lock()


def _semaphore(k):
    with SEMAPHORES_GUARD:
        return SEMAPHORES.setdefault(k, threading.BoundedSemaphore(k))


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
        spin(seconds)
    elif path == "/lock-cpu":
        with LOCK:
            spin(seconds)
    elif path == "/cold":
        if os.getpid() not in WARM:
            WARM.add(os.getpid())
            spin(COLD_START_S)
        time.sleep(seconds)
    elif path == "/hash":
        _hash(seconds)
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such route\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done\n"]
