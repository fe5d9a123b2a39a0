"""Reference ASGI app (FastAPI) with one route per way an async app serves a burst; each takes `?ms=`.

/async-sleep   async def + await asyncio.sleep: the loop serves them all at once
/async-block   async def + time.sleep: a blocking call stops the loop, one request at a time per worker
/sync-sleep    def + time.sleep: run in anyio's thread pool, 40 at once
/async-cpu     async def + a pure-Python loop: CPU-bound, the loop serves nothing else meanwhile
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from cpu_work import spin
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse

STATE = {"started": False}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    STATE["started"] = True  # the middleware must pass lifespan events through for this to run
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/async-sleep")
async def async_sleep(ms: float = 50) -> dict:
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.get("/anyio-sleep")
async def anyio_sleep(ms: float = 50) -> dict:
    await anyio.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.get("/async-block")
async def async_block(ms: float = 50) -> dict:
    time.sleep(ms / 1000)  # the mistake this app exists to show
    return {"slept_ms": ms}


@app.get("/sync-sleep")
def sync_sleep(ms: float = 50) -> dict:
    time.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.get("/async-cpu")
async def async_cpu(ms: float = 50) -> dict:
    return {"total": spin(ms / 1000)}


@app.get("/streamed")
async def streamed(ms: float = 50):
    if not STATE["started"]:
        return PlainTextResponse("lifespan startup did not run", status_code=500)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            await asyncio.sleep(ms / 5000)
            yield b"chunk\n"

    return StreamingResponse(chunks(), media_type="text/plain")
