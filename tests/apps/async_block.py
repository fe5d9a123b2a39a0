"""Reference ASGI apps of two frameworks with the commonest async mistake, a blocking call inside `async def`,
beside the right way; each route takes `?ms=`. `quart_app` (Quart) and `starlette_app` (plain Starlette).

/block   async def + time.sleep: the event loop serves one request at a time
/await   async def + await asyncio.sleep: the loop serves them all at once
"""

import asyncio
import time

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


def _ms(value):
    return float(value or 50) / 1000


try:
    from quart import Quart, request

    quart_app = Quart(__name__)

    @quart_app.get("/block")
    async def quart_block():
        time.sleep(_ms(request.args.get("ms")))  # the mistake this app exists to show
        return {"ok": True}

    @quart_app.get("/await")
    async def quart_await():
        await asyncio.sleep(_ms(request.args.get("ms")))
        return {"ok": True}

except ImportError:  # quart is not installed: the Starlette app still serves
    pass


async def starlette_block(request):
    time.sleep(_ms(request.query_params.get("ms")))  # the mistake this app exists to show
    return JSONResponse({"ok": True})


async def starlette_await(request):
    await asyncio.sleep(_ms(request.query_params.get("ms")))
    return JSONResponse({"ok": True})


starlette_app = Starlette(routes=[Route("/block", starlette_block), Route("/await", starlette_await)])
