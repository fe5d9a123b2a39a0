"""A small Quart shop: before_serving opens the catalog, and the report awaits an upstream service."""

import asyncio
import contextlib

import catalog
from quart import Quart, abort

UPSTREAM_WAIT_S = 0.02  # the pricing service's answer time, simulated
REPORT_LOCK = contextlib.nullcontext()

app = Quart(__name__)


@app.before_serving
async def open_catalog():
    app.config["CATALOG_READY"] = catalog.connect() is not None


def ready():
    if not app.config.get("CATALOG_READY"):
        abort(503)


@app.get("/")
async def index():
    return "shop\n"


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/products")
async def products():
    ready()
    return {"products": catalog.cheapest()}


@app.get("/products/<int:product_id>")
async def product(product_id):
    return {"product": catalog.product(product_id)}


@app.post("/orders")
async def order():
    return {"ordered": True}, 201


@app.websocket("/live")
async def live():
    pass


@app.get("/report")
async def report():
    ready()
    async with REPORT_LOCK:
        summary = catalog.sales_summary()
        await asyncio.sleep(UPSTREAM_WAIT_S)  # the pricing service
    return summary
