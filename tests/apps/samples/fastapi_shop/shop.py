"""A small FastAPI shop: its lifespan opens the catalog, a router is included under /api, and the report is a
plain `def` endpoint (FastAPI runs it in anyio's thread pool) that waits on an upstream service."""

import contextlib
import time

import catalog
from fastapi import APIRouter, FastAPI, HTTPException

UPSTREAM_WAIT_S = 0.02  # the pricing service's answer time, simulated
REPORT_LOCK = contextlib.nullcontext()


@contextlib.asynccontextmanager
async def lifespan(app):
    app.state.catalog_ready = catalog.connect() is not None  # fails every route if the lifespan never ran
    yield


app = FastAPI(lifespan=lifespan)
api = APIRouter()


def ready() -> None:
    if not getattr(app.state, "catalog_ready", False):
        raise HTTPException(503, "the lifespan did not run")


@app.get("/")
async def index():
    return {"shop": True}


@app.get("/health")
async def health():
    return {"ok": True}


@api.get("/products")
def products():
    ready()
    return {"products": catalog.cheapest()}


@api.get("/products/{product_id}")
def product(product_id: int):
    return {"product": catalog.product(product_id)}


@api.post("/orders")
def order():
    return {"ordered": True}


@api.get("/report")
def report():
    ready()
    with REPORT_LOCK:
        summary = catalog.sales_summary()
        time.sleep(UPSTREAM_WAIT_S)  # the pricing service
    return summary


app.include_router(api, prefix="/api")
