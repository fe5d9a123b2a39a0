"""A small Flask shop: trivial routes, a quick SQLite read, and a report that waits on an upstream service."""

import contextlib
import time

import catalog
from flask import Flask, abort

UPSTREAM_WAIT_S = 0.02  # the pricing service's answer time, simulated
REPORT_LOCK = contextlib.nullcontext()

app = Flask(__name__)


@app.get("/")
def index():
    return "shop\n"


@app.get("/health")
def health():
    return {"ok": True}


@app.get("/products")
def products():
    return {"products": catalog.cheapest()}


@app.get("/products/<int:product_id>")
def product(product_id):
    found = catalog.product(product_id)
    return {"product": found} if found else abort(404)


@app.post("/orders")
def order():
    return {"ordered": True}, 201


@app.get("/report")
def report():
    with REPORT_LOCK:
        summary = catalog.sales_summary()
        time.sleep(UPSTREAM_WAIT_S)  # the pricing service
    return summary
