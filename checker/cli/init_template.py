"""`burstcheck init`: a commented starting config for an app, with expectations that hold (pure).

Expectations follow pool arithmetic: a pool of k serving a burst of N runs ceil(N / k) waves. The verdict's
figure (the allowed concurrency) is k whatever N is, while clients see N / ceil(N / k) - 5 for N=10 on 8
threads. N is chosen as a multiple of every pool size proposed, so both read the same."""

from __future__ import annotations

import math

# A burst of 12 is a multiple of 2, 3, 4 and 6: every proposed pool finishes in whole waves.
DEFAULT_REQUESTS = 12
POOL = 4  # the pool size proposed for werkzeug processes, gunicorn and waitress
# The bounds around a pool of k that the accuracy benchmark judges by: 0.7k to 1.3k + 0.5.
POOL_LOW, POOL_HIGH, POOL_SLACK = 0.7, 1.3, 0.5


def pool_expectation(k: int) -> str:
    return f"{{min_concurrency: {POOL_LOW * k:g}, max_concurrency: {POOL_HIGH * k + POOL_SLACK:g}}}"


def waves(requests: int, k: int) -> int:
    return math.ceil(requests / k)


def render(app: str, routes: list[str], servers: set[str], requests: int = DEFAULT_REQUESTS) -> str:
    """The config text. `routes`: GET routes without parameters (the first is used, the others listed);
    `servers`: the server packages installed in the app's environment."""
    chosen = routes[0] if routes else "/"
    others = "".join(f"\n#   - path: {route}" for route in routes[1:])
    out = [
        "# burstcheck config, written by `burstcheck init`. Reference: the README, or `burstcheck schema`.",
        f"app: {_quote(app)}",
        "# python: .venv/bin/python   # the app's interpreter; default: a .venv beside this file, else the active one",
        "",
        "endpoints:",
        "  # Choose an endpoint that does the work you care about (a database query, a call to another",
        "  # service): each mode bursts it. Add ?query=strings as needed.",
        f"  - path: {_quote(chosen)}",
    ]
    if others:
        out.append("# Other GET routes without parameters:" + others)
    out += [
        "",
        "burst:",
        f"  requests: {requests}   # N at once; a multiple of every pool size below, so each runs whole waves",
        "  repeats: 3",
        "",
        "modes:",
        "  # The figure checked is the concurrency the server and app allowed. werkzeug's development server:",
        "  - name: serial",
        "    threaded: false",
        "    expect: serialized       # one request at a time, by design",
        "  - name: threaded",
        "    threaded: true",
        "    expect: concurrent       # a thread per request: nearly all N at once, unless the app serializes",
        f"  - name: forked-{POOL}",
        f"    processes: {POOL}",
        f"    # a process per request, {POOL} at most: {requests} requests run in {waves(requests, POOL)} waves"
        f" of {POOL}",
        f"    expect: {pool_expectation(POOL)}",
    ]
    if "gunicorn" in servers:
        out += [
            "  - name: gunicorn",
            "    server: gunicorn",
            "    worker_class: gthread",
            "    workers: 1",
            f"    threads: {POOL}",
            f"    # a pool of {POOL} threads: {waves(requests, POOL)} waves of {POOL}",
            f"    expect: {pool_expectation(POOL)}",
        ]
    if "waitress" in servers:
        out += [
            "  - name: waitress",
            "    server: waitress",
            f"    threads: {POOL}",
            f"    expect: {pool_expectation(POOL)}",
        ]
    missing = sorted({"gunicorn", "waitress"} - servers)
    if missing:
        out.append(f"  # {' and '.join(missing)} not installed for the app: pip install them to add their modes")
    return "\n".join(out) + "\n"


def _quote(value: str) -> str:
    """A YAML scalar that reads back as `value` (quotes where YAML would read it otherwise)."""
    plain = value and value[0] not in "!&*{}[],#|>@`'\"%-?: " and ": " not in value and " #" not in value
    return value if plain else "'" + value.replace("'", "''") + "'"
