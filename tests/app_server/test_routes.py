"""`burstcheck init` inside the app's process: the routes each framework's router lists, and the trial calls
through the app's own interface (WSGI environ, ASGI scope after the lifespan), bounded however a route behaves.
Real Flask, Starlette and FastAPI apps, called in this process (Quart and Django: tests/cli/test_init_frameworks.py)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route, Router, WebSocketRoute
from starlette.websockets import WebSocket

from checker.app_server import route_trials
from checker.app_server.route_trials import try_routes
from checker.app_server.routes import framework_of, get_routes


def flask_app() -> Flask:
    app = Flask(__name__, static_folder=".")
    app.add_url_rule("/", "index", lambda: "shop")
    app.add_url_rule("/items/<int:item>", "item", lambda item: str(item))
    app.add_url_rule("/orders", "orders", lambda: "made", methods=["POST"])

    def slow() -> str:
        time.sleep(0.01)
        return "done"

    app.add_url_rule("/report", "report", slow)
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    return app


def test_flask_routes_and_trials() -> None:
    app = flask_app()
    assert framework_of(app) == "flask"
    assert get_routes(app) == ["/", "/boom", "/report"]  # no static, no parameters, no POST
    trials, note = try_routes(app, "wsgi", ["/", "/boom", "/report", "/missing"])
    by_path = {t.path: t for t in trials}
    assert note is None and by_path["/"].status == 200 and by_path["/"].calls == 3
    assert by_path["/report"].median_ms is not None and by_path["/report"].median_ms >= 10
    assert by_path["/boom"].status == 500 and by_path["/missing"].status == 404


def test_a_body_that_streams_after_the_answer_started_is_told_from_a_slow_view() -> None:
    app = flask_app()

    def drip() -> Any:
        def chunks() -> Iterator[str]:
            for _ in range(2):
                time.sleep(0.04)
                yield "*"

        return app.response_class(chunks())

    app.add_url_rule("/drip", "drip", drip)
    trials, _ = try_routes(app, "wsgi", ["/drip", "/report"])
    assert [(t.path, t.streamed) for t in trials] == [("/drip", True), ("/report", False)]

    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(2):
                await asyncio.sleep(0.04)
                yield b"*"

        return StreamingResponse(chunks())

    async def slow(request: Request) -> PlainTextResponse:
        await asyncio.sleep(0.08)
        return PlainTextResponse("done")

    asgi, _ = try_routes(Starlette(routes=[Route("/drip", stream), Route("/slow", slow)]), "asgi", ["/drip", "/slow"])
    assert [(t.path, t.streamed) for t in asgi] == [("/drip", True), ("/slow", False)]


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hi")


async def socket(websocket: WebSocket) -> None:
    await websocket.close()


def test_starlette_routes_include_mounted_routers_and_sub_apps() -> None:
    api = Router([Route("/a", hello), Route("/b/{x}", hello), Route("/p", hello, methods=["POST"])])
    app = Starlette(
        routes=[
            Route("/", hello),
            WebSocketRoute("/ws", socket),
            Mount("/api", routes=api.routes),
            Mount("/sub", app=Starlette(routes=[Route("/c", hello)])),
            Mount("/{tenant}", routes=[Route("/d", hello)]),
        ]
    )
    assert framework_of(app) == "starlette"
    assert get_routes(app) == ["/", "/api/a", "/sub/c"]


def test_fastapi_routes_need_the_lifespan_and_leave_out_the_docs() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ready = True
        yield

    app = FastAPI(lifespan=lifespan)
    router = APIRouter()

    @router.get("/report")
    def report() -> dict[str, bool]:  # a plain def: FastAPI runs it in anyio's thread pool
        time.sleep(0.01)
        return {"ready": app.state.ready}

    @router.get("/items/{item}")
    def item(item: int) -> int:
        return item

    @app.get("/")
    async def index() -> str:
        return "shop"

    app.include_router(router, prefix="/api")
    assert framework_of(app) == "fastapi"
    assert get_routes(app) == ["/", "/api/report"]  # not /docs, /openapi.json, /redoc
    trials, note = try_routes(app, "asgi", get_routes(app))
    assert note is None and [(t.path, t.status, t.error) for t in trials] == [
        ("/", 200, None),
        ("/api/report", 200, None),
    ]


@pytest.fixture
def short_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(route_trials, "CALL_TIMEOUT_S", 0.3)
    monkeypatch.setattr(route_trials, "LOOP_GRACE_S", 0.2)


def test_a_wsgi_route_that_streams_or_hangs_costs_one_timeout(short_calls: None) -> None:
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        if environ["PATH_INFO"] == "/hang":
            release.wait(10)
        while environ["PATH_INFO"] == "/stream" and not release.is_set():
            time.sleep(0.001)
            yield b"x"
        yield b"ok"

    started = time.monotonic()
    trials, _ = try_routes(app, "wsgi", ["/stream", "/hang", "/"])
    release.set()
    assert time.monotonic() - started < 2
    assert [t.error for t in trials] == ["no complete answer within 0.3 s"] * 2 + [None]


def test_an_asgi_route_that_blocks_the_loop_or_streams_is_bounded(short_calls: None) -> None:
    async def forever(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                yield b"x"
                await asyncio.sleep(0.001)

        return StreamingResponse(chunks())

    async def blocks(request: Request) -> PlainTextResponse:
        time.sleep(1.0)  # a blocking call inside async def
        return PlainTextResponse("late")

    app = Starlette(routes=[Route("/stream", forever), Route("/block", blocks), Route("/after", hello)])
    started = time.monotonic()
    trials, _ = try_routes(app, "asgi", ["/stream", "/block", "/after"])
    assert time.monotonic() - started < 5
    errors = [t.error for t in trials]
    assert errors[0] == "no complete answer within 0.3 s"
    assert errors[1] == "no complete answer within 0.3 s (the event loop was blocked)"
    assert errors[2] == "not tried: an earlier route still blocks the event loop"


def test_a_failed_lifespan_startup_is_a_note() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    trials, note = try_routes(FastAPI(lifespan=lifespan), "asgi", ["/"])
    assert trials == [] and note is not None and "no database" in note
