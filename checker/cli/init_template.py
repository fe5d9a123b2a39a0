"""`burstcheck init`: a commented starting config for an app, with expectations that hold (pure).

Expectations follow pool arithmetic: a pool of k serving a burst of N runs ceil(N / k) waves. The verdict's
figure (the allowed concurrency) is k whatever N is, while clients see N / ceil(N / k) - 5 for N=10 on 8
threads. N is chosen as a multiple of every pool size proposed, so both read the same."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from checker.cli.init_endpoint import EndpointChoice
from checker.config import SERVERS

# A burst of 12 is a multiple of 2, 3, 4 and 6: every proposed pool finishes in whole waves.
DEFAULT_REQUESTS = 12
POOL = 4  # the pool size proposed for werkzeug processes, gunicorn, waitress and cheroot
# The bounds around a pool of k that the accuracy benchmark judges by: 0.7k to 1.3k + 0.5.
POOL_LOW, POOL_HIGH, POOL_SLACK = 0.7, 1.3, 0.5
# Where every route is trivial: burstcheck's middleware sleeps this long before the app runs, so that a burst
# lasts long enough for the server's structure (one at a time, a pool, a thread each) to show in its timings.
TRIVIAL_DELAY_MS = 20


# How frameworks spell their names, for the config's first comment; others are shown as their package.
FRAMEWORK_NAMES = {
    "flask": "Flask",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "quart": "Quart",
    "django": "Django",
}


def display(framework: str) -> str:
    return FRAMEWORK_NAMES.get(framework, framework)


def pool_expectation(k: int) -> dict[str, float]:
    return {"min_concurrency": round(POOL_LOW * k, 2), "max_concurrency": round(POOL_HIGH * k + POOL_SLACK, 2)}


def waves(requests: int, k: int) -> int:
    return math.ceil(requests / k)


def proposals(server: str, requests: int) -> list[tuple[dict[str, Any], str]]:
    """The modes init proposes for one server of the registry: each mode's fields, and a comment on why its
    expectation holds for a healthy app. Every server of the registry but `command` has some (a test says so)."""
    pool = f"{requests} requests run in {waves(requests, POOL)} waves of {POOL}"
    loop = "one event loop: `async def` routes that await run all N at once; plain `def` routes run in a pool"
    proposed: dict[str, list[tuple[dict[str, Any], str]]] = {
        "werkzeug": [
            ({"name": "serial", "threaded": False, "expect": "serialized"}, "one request at a time, by design"),
            (
                {"name": "threaded", "threaded": True, "expect": "concurrent"},
                "a thread per request: nearly all N at once, unless the app serializes them",
            ),
            (
                {"name": f"forked-{POOL}", "processes": POOL, "expect": pool_expectation(POOL)},
                f"a process per request, {POOL} at most: {pool}",
            ),
        ],
        "gunicorn": [
            (
                {"name": "gunicorn", "worker_class": "gthread", "workers": 1, "threads": POOL},
                f"one worker with a pool of {POOL} threads: {pool}",
            )
        ],
        "waitress": [({"name": "waitress", "threads": POOL}, f"a pool of {POOL} threads: {pool}")],
        "cheroot": [({"name": "cheroot", "threads": POOL}, f"a pool of {POOL} threads: {pool}")],
        "uvicorn": [({"name": "uvicorn", "workers": 1, "expect": "concurrent"}, f"{loop} of 40 threads (anyio)")],
        "hypercorn": [({"name": "hypercorn", "workers": 1, "expect": "concurrent"}, f"{loop} of threads")],
    }
    modes = []
    for fields, comment in proposed.get(server, []):
        mode = {"name": fields["name"], "server": server, **fields}
        mode.setdefault("expect", pool_expectation(POOL))
        SERVERS[server].model_validate(mode)  # what init proposes, the config accepts
        modes.append((mode, comment))
    return modes


def render(
    app: str,
    *,
    interface: str,
    framework: str,
    choice: EndpointChoice,
    servers: Sequence[str],
    missing_note: str | None = None,
    schema_ref: str | None = None,
    requests: int = DEFAULT_REQUESTS,
) -> str:
    """The config text: `servers` are those of the app's interface installed for its interpreter (registry
    order); `missing_note` says which others could be installed, and how."""
    out = [f"# yaml-language-server: $schema={schema_ref}"] if schema_ref else []
    out += [
        f"# burstcheck config for {app} (a {display(framework)} app, {interface.upper()}),"
        " written by `burstcheck init`.",
        "# Check it with `burstcheck run`; every field is in `burstcheck schema` and the docs' config page.",
        f"app: {_quote(app)}",
        "# python: left out, the app runs under a .venv beside this file (locally), or the job's python in",
        "# GitHub Actions. Name one (python: venv/bin/python) only where the app's environment is elsewhere.",
    ]
    if choice.trivial:
        out += [
            "",
            "# Every route answered in well under a millisecond: a burst of one measures the server's own overhead",
            "# more than the app's work. burstcheck's middleware waits this long before each request reaches the",
            "# app, so the modes below still show the server's structure (one at a time, a pool, a thread each); a",
            "# lock inside the app does not show this way. Burst a route that does real work when there is one.",
            f"inject_delay_ms: {TRIVIAL_DELAY_MS}",
        ]
    out += ["", "endpoints:", f"  # {choice.path}: {choice.why}."]
    if choice.others:
        out.append("  # The other GET routes without parameters:")
        out += [f"  #   {other}" for other in choice.others]
    out += [
        f"  - path: {_quote(choice.path)}",
        "",
        "burst:",
        f"  requests: {requests}   # N at once; a multiple of every pool size below, so each runs whole waves",
        "  repeats: 3",
        "",
        "modes:",
        "  # Each mode's expectation bounds `allowed`: how many requests the server and the app let run at once.",
    ]
    for server in servers:
        for mode, comment in proposals(server, requests):
            out += _mode_lines(mode, comment)
    if missing_note:
        out.append(f"  # {missing_note}")
    return "\n".join(out) + "\n"


def _mode_lines(mode: dict[str, Any], comment: str) -> list[str]:
    lines = [f"  - name: {mode['name']}"]
    lines += [f"    {key}: {_scalar(value)}" for key, value in mode.items() if key not in ("name", "expect")]
    lines.append(f"    # {comment}")
    expect = mode["expect"]
    if isinstance(expect, dict):
        expect = "{" + ", ".join(f"{key}: {value:g}" for key, value in expect.items()) + "}"
    lines.append(f"    expect: {expect}")
    return lines


def _scalar(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else _quote(str(value))


def _quote(value: str) -> str:
    """A YAML scalar that reads back as `value` (quotes where YAML would read it otherwise)."""
    plain = value and value[0] not in "!&*{}[],#|>@`'\"%-?: " and ": " not in value and " #" not in value
    return value if plain else "'" + value.replace("'", "''") + "'"
