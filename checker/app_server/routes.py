"""`burstcheck init`: the routes of an app that a burst can call without knowing their parameters, read from
its framework's own router: Flask's and Quart's url_map, Starlette's and FastAPI's routes (mounted routers
included), Django's URL resolver. Duck-typed, so nothing of a framework is imported that the app did not."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any, Optional

# Wrappers (middleware objects) are looked through by their `app` attribute, at most this deep.
UNWRAP_DEPTH = 8
# FastAPI's own pages: generated documentation, not the app's work.
FASTAPI_OWN_PAGES = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")
# Django apps whose URLs are not the project's own work (the admin's login page would look slowest).
DJANGO_SKIPPED_NAMESPACES = ("admin",)
# A Django regex pattern is a plain path once its anchors are off and it holds none of these.
REGEX_SYNTAX = re.compile(r"[\\()\[\]{}*+?|.$^]")


def framework_of(app: Any) -> str:
    """The package the app's class comes from ('flask', 'fastapi', 'django', ...), for messages."""
    return type(_unwrap(app)).__module__.split(".")[0]


def get_routes(app: Any) -> list[str]:
    """The app's GET routes that take no parameters, sorted; [] for an app whose routes are not listed."""
    app = _unwrap(app)
    if getattr(app, "url_map", None) is not None:
        found = set(_url_map_routes(app))
    elif getattr(app, "routes", None) is not None:
        skipped = {getattr(app, name, None) for name in FASTAPI_OWN_PAGES}
        found = {path for path in _starlette_routes(app.routes, "") if path not in skipped}
    elif type(app).__module__.startswith("django."):
        found = set(_django_routes())
    else:
        found = set()
    return sorted(found)


def _unwrap(app: Any) -> Any:
    """The object that holds the routes: the app, or the app inside its middleware wrappers."""
    for _ in range(UNWRAP_DEPTH):
        if _has_router(app) or getattr(app, "app", None) is None:
            return app
        app = app.app
    return app


def _has_router(app: Any) -> bool:
    return (
        getattr(app, "url_map", None) is not None
        or getattr(app, "routes", None) is not None
        or type(app).__module__.startswith("django.")
    )


def _url_map_routes(app: Any) -> Iterator[str]:
    """Flask and Quart: werkzeug rules; the static folder and Quart's websocket rules are not requests."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or getattr(rule, "websocket", False) or rule.arguments:
            continue
        if "GET" in (rule.methods or ()):
            yield rule.rule


def _starlette_routes(routes: Any, prefix: str) -> Iterator[str]:
    """Starlette and FastAPI: Route (APIRoute), and the routes inside Mount (a router, a sub-app)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):  # FastAPI >= 0.160 keeps an included router whole: its routes, prefixed
            for context in contexts():
                if _answers_get(context.original_route):
                    yield prefix + context.path
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue  # a Host
        sub_routes = getattr(route, "routes", None) if not hasattr(route, "endpoint") else None
        if sub_routes is not None:  # a Mount: its routes live under its path (unless the path takes parameters)
            if "{" not in path:
                yield from _starlette_routes(sub_routes, prefix + path)
        elif _answers_get(route):
            yield prefix + path or "/"


def _answers_get(route: Any) -> bool:
    """A Route without {parameters} whose methods take GET; a WebSocketRoute has no methods. Methods None: an
    endpoint class or an ASGI app, which may answer GET (trying it says)."""
    if not hasattr(route, "methods") or getattr(route, "param_convertors", None):
        return False
    return route.methods is None or "GET" in route.methods


def _django_routes() -> Iterator[str]:
    urls = sys.modules.get("django.urls")
    if urls is None:
        return
    yield from _django_patterns(urls.get_resolver().url_patterns, "/")


def _django_patterns(patterns: Any, prefix: str) -> Iterator[str]:
    """Django: URLPattern and URLResolver (include()), each with a route or a regex pattern."""
    for entry in patterns:
        part = _django_part(entry.pattern)
        if part is None:
            continue
        if hasattr(entry, "url_patterns"):  # a URLResolver: include()
            if getattr(entry, "namespace", None) in DJANGO_SKIPPED_NAMESPACES:
                continue
            yield from _django_patterns(entry.url_patterns, prefix + part)
        else:
            yield prefix + part


def _django_part(pattern: Any) -> Optional[str]:
    """The literal text of one pattern, or None when it takes parameters (or is a regex beyond a literal)."""
    if getattr(pattern, "converters", None):  # path("items/<int:pk>")
        return None
    regex = getattr(pattern, "regex", None)
    if regex is not None and regex.groups:
        return None
    text = str(pattern)
    if hasattr(pattern, "_regex"):  # re_path(r"^report/$"): a literal once its anchors are off
        text = text.lstrip("^").rstrip("$").replace("\\/", "/").replace("\\-", "-")
        if REGEX_SYNTAX.search(text):
            return None
    return None if "<" in text else text
