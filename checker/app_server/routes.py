"""`burstcheck init`: the routes of an app that a burst can call without knowing their parameters."""

from __future__ import annotations

from typing import Any


def get_routes(app: Any) -> list[str]:
    """A Flask (or werkzeug Map) app's GET routes that take no parameters, sorted; [] for other apps."""
    url_map = getattr(app, "url_map", None)
    if url_map is None:
        return []
    found = set()
    for rule in url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith("/static"):
            found.add(rule.rule)
    return sorted(found)
