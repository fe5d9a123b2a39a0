"""Views of the sample Django shop: trivial ones, a quick SQLite read, and a report that waits on an upstream
service."""

import contextlib
import time

import catalog
from django.http import Http404, HttpResponse, JsonResponse

UPSTREAM_WAIT_S = 0.02  # the pricing service's answer time, simulated
REPORT_LOCK = contextlib.nullcontext()


def index(request):
    return HttpResponse("shop\n")


def health(request):
    return JsonResponse({"ok": True})


def products(request):
    return JsonResponse({"products": catalog.cheapest()})


def product(request, product_id=None, order_id=None):
    found = catalog.product(int(product_id or order_id))
    if found is None:
        raise Http404
    return JsonResponse({"product": found})


def report(request):
    with REPORT_LOCK:
        summary = catalog.sales_summary()
        time.sleep(UPSTREAM_WAIT_S)  # the pricing service
    return JsonResponse(summary)
