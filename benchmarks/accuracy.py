"""Accuracy of burstcheck's verdicts against apps whose concurrency is known: `python benchmarks/accuracy.py`.

Each case is an app route on a server mode whose truth is known by construction: how many of its requests the
server and the app serve together (the concurrency the verdict judges), and for some, how many cores' worth of
CPU can run at once (the parallelism). Reference apps (tests/apps/): reference.py (sleeping, a global lock,
semaphores, CPU-bound loops with and without a lock, a cold first request), db_write.py (SQLite writes, whose
busy handler backs off), asgi_ref.py (FastAPI: awaiting, blocking and CPU-bound `async def`, `def` endpoints
in anyio's pool of 40), async_block.py (Quart and Starlette with a blocking call in `async def`). Each case is
crossed with its handler times and burst sizes; each cell is judged against the expectation its truth implies
(must pass) and contrasting ones (must fail), so a wrong pass counts as much as a false alarm.

`--hogs 2` runs two CPU-hog processes throughout (started and ended here). `--save`/`--load` keep raw timings,
to re-judge them without measuring again; `--only TEXT` measures the cases whose name contains TEXT.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from checker.analysis.figures import AttemptFigures, summarize
from checker.analysis.verdict import judge
from checker.config import (
    CONCURRENT_MIN_FRACTION,
    SERIALIZED_MAX_CONCURRENCY,
    AnyMode,
    Burst,
    Endpoint,
    GunicornMode,
    HypercornMode,
    UvicornMode,
    WaitressMode,
    WerkzeugMode,
)
from checker.run.burst_client import measure
from checker.run.processes import managed_process
from checker.run.runner import measure_testing_the_app
from checker.run.server import running_server
from checker.wire import Measurement

REPO = Path(__file__).resolve().parent.parent

APPS = REPO / "tests" / "apps"
CORES = os.cpu_count() or 1
HANDLER_MS = (5, 10, 20, 50, 100)
SIZES = (10, 50, 100)
SHORT_CPU_MS = (0.2, 1, 2)  # real endpoints: a millisecond or less of Python
ANY = {"min_concurrency": 0.01}


def _mode(kind: type[AnyMode], **fields: object) -> AnyMode:
    return kind.model_validate({"name": "m", "expect": ANY, **fields})


SERVERS: dict[str, AnyMode] = {
    "werkzeug threaded": _mode(WerkzeugMode, threaded=True),
    "werkzeug serial": _mode(WerkzeugMode, threaded=False),
    "werkzeug processes=4": _mode(WerkzeugMode, processes=4),
    "gunicorn sync 2": _mode(GunicornMode, server="gunicorn", workers=2),
    "gunicorn sync 4": _mode(GunicornMode, server="gunicorn", workers=4),
    "gunicorn gthread 1x4": _mode(GunicornMode, server="gunicorn", worker_class="gthread", threads=4),
    "gunicorn gthread 1x8": _mode(GunicornMode, server="gunicorn", worker_class="gthread", threads=8),
    "waitress 4": _mode(WaitressMode, server="waitress", threads=4),
    "uvicorn 1": _mode(UvicornMode, server="uvicorn", workers=1),
    "uvicorn 2": _mode(UvicornMode, server="uvicorn", workers=2),
    "hypercorn 1": _mode(HypercornMode, server="hypercorn", workers=1),
}


@dataclass(frozen=True)
class Case:
    """One app route on one server: how many of its requests can truly be served together (None: all N), and
    where known, how many cores' worth of CPU can run at once (judged by a `min_parallelism` expectation)."""

    server: str
    route: str
    truth: int | None
    app: str = "reference:app"
    handler_ms: tuple[float, ...] = HANDLER_MS
    sizes: tuple[int, ...] = SIZES
    label: str = ""  # the case's name when the route alone does not say it
    parallelism: float | None = None  # the cores' worth of CPU that can run at once, where it is judged
    fresh_server: bool = False  # a server booted for every cell: its workers are cold when calibrated
    # Where the truth is a range: the fewest that may be served together. A blocked event loop on each of 2
    # workers serves 2 at once when the kernel hands the burst to both, 1 when one worker's loop accepts every
    # waiting connection first (asyncio accepts all it can when it wakes): both are what happened.
    truth_low: int | None = None

    @property
    def name(self) -> str:
        route = self.label or f"{self.route.split('?')[0].strip('/')}{self.route.partition('k=')[2]}"
        return f"{route} @ {self.server}"

    @property
    def probe(self) -> str:
        return {"reference:app": "/sleep?ms=1", "asgi_ref:app": "/async-sleep?ms=1"}.get(self.app, "/await?ms=1")


DB = "db=" + str(Path(tempfile.gettempdir()) / "burstcheck-accuracy.sqlite")
DB_MS = (20, 50, 100)
DB_SIZES = (10, 20)
BLOCK_MS = (20, 50, 100)
BLOCK_SIZES = (10, 20)
POOL_MS = (50, 100, 300)  # FastAPI `def` endpoints: anyio's 40 threads show where a handler outlasts the loop
POOL_SIZES = (60, 100)

CASES = (
    Case("werkzeug threaded", "/sleep", None),
    Case("werkzeug threaded", "/lock", 1),
    Case("werkzeug threaded", "/sem?k=2", 2),
    Case("werkzeug threaded", "/sem?k=3", 3),
    Case("werkzeug threaded", "/sem?k=4", 4),
    # CPU-bound threads take turns at the GIL: served together, one core's worth at once.
    Case("werkzeug threaded", "/cpu", None, parallelism=1),
    Case("werkzeug threaded", "/cpu", None, handler_ms=SHORT_CPU_MS, label="cpu-short"),
    Case("werkzeug threaded", "/lock-cpu", 1, handler_ms=(1, 5, 20)),
    Case("werkzeug serial", "/sleep", 1),
    Case("werkzeug processes=4", "/sleep", 4),
    Case("werkzeug processes=4", "/cpu", 4, handler_ms=SHORT_CPU_MS, label="cpu-short"),
    Case("gunicorn sync 2", "/sleep", 2),
    Case("gunicorn sync 4", "/sleep", 4),
    Case("gunicorn sync 4", "/cpu", 4, parallelism=min(4, CORES)),
    Case("gunicorn sync 4", "/cold", 4, handler_ms=(5, 20, 50), sizes=(10, 50), fresh_server=True),
    Case("gunicorn gthread 1x4", "/sleep", 4),
    Case("gunicorn gthread 1x4", "/cpu", 4, handler_ms=SHORT_CPU_MS, label="cpu-short"),
    Case("waitress 4", "/sleep", 4),
    Case("werkzeug threaded", f"/raw?{DB}", 1, "db_write:app", DB_MS, DB_SIZES, "sqlite-write"),
    Case("gunicorn gthread 1x8", f"/raw?{DB}", 1, "db_write:app", DB_MS, DB_SIZES, "sqlite-write"),
    Case("gunicorn gthread 1x8", f"/orm?{DB}", 1, "db_write:app", DB_MS, DB_SIZES, "sqlalchemy-write"),
    Case("werkzeug threaded", f"/read?{DB}", None, "db_write:app", DB_MS, DB_SIZES, "sqlite-read"),
    Case("uvicorn 1", "/async-sleep", None, "asgi_ref:app"),
    Case("uvicorn 1", "/async-block", 1, "asgi_ref:app"),
    Case("uvicorn 2", "/async-block", 2, "asgi_ref:app", truth_low=1),
    Case("uvicorn 1", "/async-cpu", 1, "asgi_ref:app"),
    Case("uvicorn 1", "/sync-sleep", 40, "asgi_ref:app", POOL_MS, POOL_SIZES),  # anyio's thread pool
    Case("uvicorn 1", "/block", 1, "async_block:quart_app", BLOCK_MS, BLOCK_SIZES, "quart-block"),
    Case("hypercorn 1", "/block", 1, "async_block:quart_app", BLOCK_MS, BLOCK_SIZES, "quart-block"),
    Case("uvicorn 1", "/block", 1, "async_block:starlette_app", BLOCK_MS, BLOCK_SIZES, "starlette-block"),
    Case("hypercorn 1", "/block", 1, "async_block:starlette_app", BLOCK_MS, BLOCK_SIZES, "starlette-block"),
    Case("hypercorn 1", "/await", None, "async_block:quart_app", BLOCK_MS, BLOCK_SIZES, "quart-await"),
)


def url(case: Case, handler_ms: float) -> str:
    sep = "&" if "?" in case.route else "?"
    return f"{case.route}{sep}ms={handler_ms:g}"


def key_of(case: Case, ms: float, n: int) -> str:
    return f"{case.name}|{ms:g}|{n}"


@contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """`count` busy-looping processes for the whole block, ended on the way out."""
    with ExitStack() as stack:
        for _ in range(count):
            # Not part of the run: the others-CPU figure must see them as the busy machine they stand for.
            stack.enter_context(managed_process([sys.executable, "-c", "while True: pass"], measured=False))
        yield


def _measure_cells(case: Case, base_url: str, cells: list[tuple[float, int]], repeats: int, raw: dict) -> None:
    mode = SERVERS[case.server]
    for ms, n in cells:
        started = time.monotonic()
        burst = Burst(requests=n, repeats=repeats, calibration_requests=5, timeout=60)
        # As `burstcheck run` measures: again where no burst tested the app.
        measurement, _ = measure_testing_the_app(
            functools.partial(measure, warm_up=mode.warm_up_requests(n)),
            base_url,
            Endpoint(path=url(case, ms)),
            burst,
            capacity=mode.capacity,
        )
        raw[key_of(case, ms, n)] = measurement.to_json()  # with others_cpu_cores: parallelism needs it
        print(f"  measured {key_of(case, ms, n)} in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


def cells_of(case: Case, quick: bool) -> list[tuple[float, int]]:
    """Every handler time and burst size of the case; with `quick`, its shortest, middle and longest handler
    times at its two smallest sizes (a third of the cells, for trying a change before the full run)."""
    handlers, sizes = case.handler_ms, case.sizes
    if quick:
        handlers = tuple(dict.fromkeys((handlers[0], handlers[len(handlers) // 2], handlers[-1])))
        sizes = sizes[:2]
    return [(ms, n) for ms in handlers for n in sizes]


def gather(cases: tuple[Case, ...], repeats: int, quick: bool = False) -> dict:
    """Raw timings per cell: one server boot per server and app (or per cell, for cold workers)."""
    raw: dict[str, dict] = {}
    for case in cases:
        cells = cells_of(case, quick)
        mode = SERVERS[case.server]
        boots = [[cell] for cell in cells] if case.fresh_server else [cells]
        for mine in boots:
            with running_server(
                mode, app=case.app, app_dir=APPS, probe=Endpoint(path=case.probe), boot_timeout_s=30
            ) as server:
                _measure_cells(case, server.base_url, mine, repeats, raw)
    return raw


# The benchmark's expectation "around k" for a truth of k: tight enough to tell 2 from 4, loose enough for
# a pool of k serving N requests in ceil(N / k) waves.
AROUND_LOW = 0.7
AROUND_HIGH = 1.3
AROUND_SLACK = 0.5
# A `min_parallelism` between one core and two: met by processes on two cores (where the servers' own
# per-request work takes a share of the cores too), missed under the GIL. Judged on handlers of at least
# PARALLELISM_FROM_MS: with less work per request, the servers' own per-request work is most of the CPU.
PARALLELISM_BAR = 1.3
PARALLELISM_FROM_MS = 20


@dataclass(frozen=True)
class Expectation:
    text: str
    low: float | None
    high: float | None
    should: str  # "pass" or "fail"
    min_parallelism: float | None = None


def truth_at(truth: int | None, n: int) -> int | None:
    """A cap at or above the burst is no cap: all N can run (None)."""
    return None if truth is not None and truth >= n else truth


def expectations(
    truth: int | None, n: int, parallelism: float | None = None, truth_low: int | None = None
) -> list[Expectation]:
    """The expectation derived from the truth (must pass) and contrasting ones (must fail); where the case
    knows its parallelism, a `min_parallelism` that it must meet or miss."""
    truth = truth_at(truth, n)
    concurrent = Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "pass")
    serialized = Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "pass")
    if truth is None:
        found = [concurrent, Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "fail")]
    elif truth == 1:
        found = [serialized, Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "fail")]
    else:
        low = AROUND_LOW * (truth_low or truth)
        around = Expectation(
            f"{low:g}..{AROUND_HIGH * truth + AROUND_SLACK:g}", low, AROUND_HIGH * truth + AROUND_SLACK, "pass"
        )
        # A truth that may be 1 has no `serialized` to contrast with.
        contrasts = [] if truth_low == 1 else [Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "fail")]
        if truth < CONCURRENT_MIN_FRACTION * n:  # a cap of 40 at N=50 meets `concurrent` (>= 40): no contrast
            contrasts.insert(0, Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "fail"))
        found = [around, *contrasts]
    if parallelism is not None:
        should = "pass" if parallelism >= PARALLELISM_BAR else "fail"
        found.append(Expectation(f"parallelism>={PARALLELISM_BAR:g}", None, None, should, PARALLELISM_BAR))
    return found


@dataclass(frozen=True)
class Row:
    case: str
    handler_ms: float
    n: int
    truth: str
    client_c: float
    allowed: float | None
    limited_by: str
    parallelism: float | None
    verdicts: list[tuple[Expectation, str]]

    def outcome(self, expectation: Expectation, verdict: str) -> str:
        if verdict == "error":
            return "error"
        return "right" if verdict == expectation.should else f"wrong {verdict}"


def judge_cell(case: Case, handler_ms: float, n: int, figures: AttemptFigures) -> Row:
    verdicts = [
        (e, judge(figures, e.low, e.high, e.text, min_parallelism=e.min_parallelism).verdict)
        for e in expectations(
            case.truth, n, case.parallelism if handler_ms >= PARALLELISM_FROM_MS else None, case.truth_low
        )
    ]
    median = figures.median_burst
    return Row(
        case=case.name,
        handler_ms=handler_ms,
        n=n,
        truth=(f"{case.truth_low}-" if case.truth_low else "") + str(truth_at(case.truth, n) or n),
        client_c=figures.effective_concurrency,
        allowed=figures.allowed_concurrency,
        limited_by=median.allowed.limited_by if median.allowed else "-",
        parallelism=figures.parallelism,
        verdicts=verdicts,
    )


def evaluate(raw: dict) -> list[Row]:
    rows = []
    for case in CASES:
        for ms in case.handler_ms:
            for n in case.sizes:
                key = key_of(case, ms, n)
                if key not in raw:
                    continue
                figures = summarize(Measurement.from_json(raw[key]), 200)
                rows.append(judge_cell(case, ms, n, figures))
    return rows


def render(rows: list[Row], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| app @ server | handler | N | truth | client C | allowed (limited by) | parallelism | verdicts |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        marks = ", ".join(
            f"{e.text}: {v}" + ("" if r.outcome(e, v) == "right" else f" **{r.outcome(e, v).upper()}**")
            for e, v in r.verdicts
        )
        allowed = f"{r.allowed:.1f} ({r.limited_by})" if r.allowed is not None else "-"
        parallel = f"{r.parallelism:.2f}" if r.parallelism is not None else "-"
        lines.append(
            f"| {r.case} | {r.handler_ms:g} ms | {r.n} | {r.truth} | {r.client_c:.1f} | {allowed} | {parallel} |"
            f" {marks} |"
        )
    lines += ["", totals(rows)]
    return "\n".join(lines)


def totals(rows: list[Row]) -> str:
    outcomes = [r.outcome(e, v) for r in rows for e, v in r.verdicts]
    right = outcomes.count("right")
    return (
        f"**{right} of {len(outcomes)} verdicts right ({right / len(outcomes):.0%})**; "
        f"{outcomes.count('wrong pass')} wrong pass, {outcomes.count('wrong fail')} wrong fail, "
        f"{outcomes.count('error')} could not measure (error, {outcomes.count('error') / len(outcomes):.1%})."
    )


def summary(rows: list[Row], title: str) -> str:
    """One line per app @ server over every handler time and burst size: the docs' table."""
    lines = [
        f"#### {title}",
        "",
        "| app @ server | truth | allowed (verdict's figure) | client C | parallelism | right | wrong | error |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in CASES:
        mine = [r for r in rows if r.case == case.name and r.handler_ms in case.handler_ms]
        if not mine:
            continue

        # "All of the burst" reads best as a share of N; a cap of k as the figure itself.
        def scale(row: Row, share_of_n: bool = case.truth is None) -> int:
            return row.n if share_of_n else 1

        unit = " x N" if case.truth is None else ""
        allowed = [r.allowed / scale(r) for r in mine if r.allowed is not None]
        outcomes = [r.outcome(e, v) for r in mine for e, v in r.verdicts]
        truth = "N" if case.truth is None else str(case.truth)
        if case.truth_low is not None:
            truth = f"{case.truth_low}-{case.truth}"
        if case.truth is not None and any(r.n <= case.truth for r in mine):
            truth = f"min(N, {case.truth})"
        span = f"{min(allowed):.2f}-{max(allowed):.2f}{unit}" if allowed else "-"
        clients = [r.client_c / scale(r) for r in mine]
        parallel = [r.parallelism for r in mine if r.parallelism is not None]
        par = f"{min(parallel):.2f}-{max(parallel):.2f}" if parallel else "-"
        wrong = sum(o.startswith("wrong") for o in outcomes)
        handlers = ", ".join(f"{ms:g}" for ms in case.handler_ms)
        lines.append(
            f"| {case.name} ({handlers} ms) | {truth} | {span} | {min(clients):.2f}-{max(clients):.2f}{unit} |"
            f" {par} | {outcomes.count('right')}/{len(outcomes)} | {wrong} | {outcomes.count('error')} |"
        )
    lines += ["", totals(rows)]
    return "\n".join(lines)


def demo_runs(count: int) -> str:
    """Run `burstcheck demo` `count` times; the line says how many passed and what the others said."""
    passed, other = 0, []
    for _ in range(count):
        done = subprocess.run(
            [sys.executable, "-m", "checker", "demo", "--quiet"], capture_output=True, text=True, timeout=300
        )
        if done.returncode == 0:
            passed += 1
        else:
            other.append(next((line for line in done.stdout.splitlines() if line.startswith(("FAIL", "ERROR"))), ""))
    return f"**demo: {passed} of {count} runs passed**" + "".join(f"\n- {line}" for line in other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hogs", type=int, default=0, help="CPU-hog processes to run throughout")
    parser.add_argument("--save", type=Path, help="write raw timings here")
    parser.add_argument("--load", type=Path, help="judge raw timings saved earlier instead of measuring")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="measure only the cases whose name contains this")
    parser.add_argument("--quick", action="store_true", help="a third of the cells: to try a change")
    parser.add_argument("--demo", type=int, default=0, metavar="RUNS", help="also run `burstcheck demo` RUNS times")
    parser.add_argument("--summary", action="store_true", help="one line per app @ server instead of every cell")
    args = parser.parse_args()
    if args.load:
        raw = json.loads(args.load.read_text())
    else:
        with cpu_hogs(args.hogs):
            raw = gather(tuple(c for c in CASES if args.only in c.name), args.repeats, args.quick)
        if args.save:
            args.save.write_text(json.dumps(raw))
    title = f"{'idle' if not args.hogs else f'{args.hogs} CPU hogs'}, {CORES} cores"
    if args.load:
        title = f"from {args.load.name}"
    rows = evaluate(raw)
    print(summary(rows, title) if args.summary else render(rows, title))
    if args.demo:
        with cpu_hogs(args.hogs):
            print("\n" + demo_runs(args.demo))


if __name__ == "__main__":
    main()
