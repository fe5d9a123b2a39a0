"""Reference app that dies in the ways a real one can, for the fault suite (tests/faults/).

On import: CRASH_AT_IMPORT=segv dies of SIGSEGV; CHATTER_MB=M prints M MiB of log lines first; OWN_PORT=P binds
port P itself (as an app that starts a metrics server at import does), which fails when P is taken;
IMPORT_LOG names a file that gets a line per import.
/ok?ms=M   sleeps M ms, answers 200
/segv      the whole server dies of SIGSEGV (a crash in native code)
/exit      the whole server calls os._exit(7)
returns_none() and raises() are factories that give no app.
"""

import ctypes
import os
import resource
import signal
import socket
import sys
import time
from urllib.parse import parse_qs

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # its crashes leave no core file behind

if os.environ.get("IMPORT_LOG"):
    with open(os.environ["IMPORT_LOG"], "a") as log:
        log.write(f"{os.getpid()}\n")
if os.environ.get("CHATTER_MB"):
    line = "chatty app: " + "x" * 1011 + "\n"  # 1 KiB a line
    for _ in range(int(os.environ["CHATTER_MB"]) * 1024):
        sys.stdout.write(line)
    print("chatty app: the last line", flush=True)
if os.environ.get("CRASH_AT_IMPORT") == "segv":
    ctypes.string_at(0)  # reads address 0: SIGSEGV
if os.environ.get("OWN_PORT"):
    _metrics = socket.socket()
    _metrics.bind(("127.0.0.1", int(os.environ["OWN_PORT"])))


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if path == "/exit":
        os._exit(7)
    time.sleep(float(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0]) / 1000)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def returns_none():
    return None


def raises():
    raise ValueError("DATABASE_URL is not set")
