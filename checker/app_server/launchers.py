"""One launcher per server: its options, read from the spec into a typed record whose fields are those of the
server's mode in burstcheck's config (a test holds the two to each other), and the function that serves the
wrapped app with them until the process is told to stop. A new server is a config class and an entry here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The listen backlog of the servers burstcheck binds itself (uvicorn, hypercorn, cheroot): far above any burst.
PREFORK_BACKLOG = 2048


@dataclass(frozen=True)
class WerkzeugOptions:
    threaded: bool
    processes: int


@dataclass(frozen=True)
class GunicornOptions:
    workers: int
    worker_class: str
    threads: int


@dataclass(frozen=True)
class WaitressOptions:
    threads: int
    asyncore_use_poll: bool
    connection_limit: int


@dataclass(frozen=True)
class CherootOptions:
    threads: int


@dataclass(frozen=True)
class UvicornOptions:
    workers: int
    loop: str
    http: str


@dataclass(frozen=True)
class HypercornOptions:
    workers: int
    worker_class: str


def serve_werkzeug(app: Any, host: str, port: int, options: WerkzeugOptions) -> None:
    from werkzeug.serving import run_simple

    run_simple(
        host,
        port,
        app,
        threaded=options.threaded,
        processes=options.processes,
        use_reloader=False,
        use_debugger=False,
    )


def serve_gunicorn(app: Any, host: str, port: int, options: GunicornOptions) -> None:
    from gunicorn.app.base import BaseApplication

    settings = {
        "bind": f"{host}:{port}",
        "workers": options.workers,
        "worker_class": options.worker_class,
        "threads": options.threads,
        "graceful_timeout": 2,  # teardown should not wait long for in-flight requests
        "timeout": 120,  # a slow burst request must not get its worker killed
    }

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Application().run()


def serve_waitress(app: Any, host: str, port: int, options: WaitressOptions) -> None:
    import waitress

    waitress.serve(
        app,
        host=host,
        port=port,
        threads=options.threads,
        connection_limit=options.connection_limit,
        asyncore_use_poll=options.asyncore_use_poll,
    )


def serve_cheroot(app: Any, host: str, port: int, options: CherootOptions) -> None:
    from cheroot import wsgi

    # cheroot's own default listen backlog is 5: a burst's connections would overflow it before the server
    # is asked anything (production deployments raise it too).
    server = wsgi.Server((host, port), app, numthreads=options.threads, request_queue_size=PREFORK_BACKLOG)
    server.start()


def serve_uvicorn(app: Any, host: str, port: int, options: UvicornOptions) -> None:
    import uvicorn

    def serve_one(sock: socket.socket) -> None:
        config = uvicorn.Config(app, loop=options.loop, http=options.http, lifespan="auto", log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])

    prefork(options.workers, host, port, serve_one)


def serve_hypercorn(app: Any, host: str, port: int, options: HypercornOptions) -> None:
    from hypercorn.config import Config

    def serve_one(sock: socket.socket) -> None:
        config = Config()
        config.bind = [f"fd://{sock.fileno()}"]
        config.loglevel = "WARNING"
        config.graceful_timeout = 2
        if options.worker_class == "trio":
            import trio
            from hypercorn.trio import serve as trio_serve

            trio.run(trio_serve, app, config)
            return
        from hypercorn.asyncio import serve as asyncio_serve

        if options.worker_class == "uvloop":
            import uvloop

            uvloop.install()
        asyncio.run(asyncio_serve(app, config))

    prefork(options.workers, host, port, serve_one)


def prefork(workers: int, host: str, port: int, serve_one: Callable[[socket.socket], None]) -> None:
    """Bind once, then run `workers` processes that each serve on the shared socket (as gunicorn does); the
    parent waits and, on SIGTERM, ends them. Multi-worker modes of uvicorn and hypercorn would need the app as
    an import string; this keeps the app object, middleware and all."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(PREFORK_BACKLOG)
    sock.set_inheritable(True)
    if workers == 1:
        serve_one(sock)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                serve_one(sock)
            finally:
                os._exit(0)
        children.append(pid)

    def stop(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


@dataclass(frozen=True)
class Launcher:
    options: type[Any]  # the dataclass the spec's options are read into
    serve: Callable[[Any, str, int, Any], None]


LAUNCHERS: dict[str, Launcher] = {
    "werkzeug": Launcher(WerkzeugOptions, serve_werkzeug),
    "gunicorn": Launcher(GunicornOptions, serve_gunicorn),
    "waitress": Launcher(WaitressOptions, serve_waitress),
    "cheroot": Launcher(CherootOptions, serve_cheroot),
    "uvicorn": Launcher(UvicornOptions, serve_uvicorn),
    "hypercorn": Launcher(HypercornOptions, serve_hypercorn),
}
