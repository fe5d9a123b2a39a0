"""An ASGI app (FastAPI) with the most common way to serialize an async app: a blocking call (here
time.sleep, standing in for requests.get or a synchronous database driver) inside `async def`."""

import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/prices")
async def prices() -> dict:
    time.sleep(0.1)  # blocks the event loop: no other request is served meanwhile
    return {"apple": 1.25}


@app.get("/healthz")
async def healthz() -> dict:
    return {"ok": True}
