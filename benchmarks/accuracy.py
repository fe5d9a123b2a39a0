"""Accuracy of burstcheck's verdicts against apps whose concurrency is known: `python benchmarks/accuracy.py`.

Reference apps (tests/apps/reference.py) with a known truth - only sleeping (N), a global lock (1),
semaphores of 2, 3 and 4, a CPU-bound handler under threads (1) and under processes (min(workers, cores)),
and server caps (werkzeug processes=4, gunicorn sync 2 and 4, gthread 1x4, waitress 4, werkzeug
threaded=False) - crossed with handler times and burst sizes. For each cell it prints the truth, the
client-side C, the estimate the verdict uses, and the verdict against an expectation derived from the
truth; then the share of right verdicts. `--hogs 2` runs two CPU-hog processes throughout (started and
ended here). `--save`/`--load` keep raw timings, to re-judge them without measuring again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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
    UvicornMode,
    WaitressMode,
    WerkzeugMode,
)
from checker.run.burst_client import measure
from checker.run.processes import managed_process
from checker.run.server import running_server
from checker.wire import Measurement

REPO = Path(__file__).resolve().parent.parent

APPS = REPO / "tests" / "apps"
CORES = os.cpu_count() or 1
HANDLER_MS = (5, 10, 20, 50, 100)
SIZES = (10, 50, 100)
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
    "waitress 4": _mode(WaitressMode, server="waitress", threads=4),
    "uvicorn 1": _mode(UvicornMode, server="uvicorn", workers=1),
    "uvicorn 2": _mode(UvicornMode, server="uvicorn", workers=2),
}
# ASGI servers serve tests/apps/asgi_ref.py (FastAPI), the others tests/apps/reference.py.
ASGI_SERVERS = {"uvicorn 1", "uvicorn 2"}


@dataclass(frozen=True)
class Case:
    """One app on one server, and how many of its requests can truly run at once (None: all N)."""

    server: str
    route: str
    truth: int | None

    @property
    def name(self) -> str:
        return f"{self.route.split('?')[0].strip('/')}{self.route.partition('k=')[2]} @ {self.server}"


CASES = (
    Case("werkzeug threaded", "/sleep", None),
    Case("werkzeug threaded", "/lock", 1),
    Case("werkzeug threaded", "/sem?k=2", 2),
    Case("werkzeug threaded", "/sem?k=3", 3),
    Case("werkzeug threaded", "/sem?k=4", 4),
    Case("werkzeug threaded", "/cpu", 1),
    Case("werkzeug serial", "/sleep", 1),
    Case("werkzeug processes=4", "/sleep", 4),
    Case("gunicorn sync 2", "/sleep", 2),
    Case("gunicorn sync 4", "/sleep", 4),
    Case("gunicorn sync 4", "/cpu", min(4, CORES)),
    Case("gunicorn gthread 1x4", "/sleep", 4),
    Case("waitress 4", "/sleep", 4),
    Case("uvicorn 1", "/async-sleep", None),
    Case("uvicorn 1", "/async-block", 1),
    Case("uvicorn 2", "/async-block", 2),
    Case("uvicorn 1", "/async-cpu", 1),
    Case("uvicorn 1", "/sync-sleep", 40),  # anyio's thread pool: 40, or all N where N is smaller
)


def url(case: Case, handler_ms: int) -> str:
    sep = "&" if "?" in case.route else "?"
    return f"{case.route}{sep}ms={handler_ms}"


@contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """`count` busy-looping processes for the whole block, ended on the way out."""
    with ExitStack() as stack:
        for _ in range(count):
            # Not part of the run: the others-CPU figure must see them as the busy machine they stand for.
            stack.enter_context(managed_process([sys.executable, "-c", "while True: pass"], measured=False))
        yield


def gather(cases: tuple[Case, ...], sizes: tuple[int, ...], handler_ms: tuple[int, ...], repeats: int) -> dict:
    """Raw timings per cell, one server boot per server mode."""
    raw: dict[str, dict] = {}
    for server_name, mode in SERVERS.items():
        mine = [c for c in cases if c.server == server_name]
        if not mine:
            continue
        asgi = server_name in ASGI_SERVERS
        app = "asgi_ref:app" if asgi else "reference:app"
        probe = Endpoint(path="/async-sleep?ms=1" if asgi else "/sleep?ms=1")
        with running_server(mode, app=app, app_dir=APPS, probe=probe, boot_timeout_s=30) as server:
            for case in mine:
                for ms in handler_ms:
                    for n in sizes:
                        started = time.monotonic()
                        burst = Burst(requests=n, repeats=repeats, calibration_requests=5, timeout=60)
                        measurement, _ = measure(server.base_url, Endpoint(path=url(case, ms)), burst)
                        key = f"{case.name}|{ms}|{n}"
                        raw[key] = measurement.to_json()  # with others_cpu_cores: the busy-machine check needs it
                        print(f"  measured {key} in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return raw


# The benchmark's expectation "around k" for a truth of k: tight enough to tell 2 from 4, loose enough for
# a pool of k serving N requests in ceil(N / k) waves.
AROUND_LOW = 0.7
AROUND_HIGH = 1.3
AROUND_SLACK = 0.5


@dataclass(frozen=True)
class Expectation:
    text: str
    low: float | None
    high: float | None
    should: str  # "pass" or "fail"


def truth_at(truth: int | None, n: int) -> int | None:
    """A cap at or above the burst is no cap: all N can run (None)."""
    return None if truth is not None and truth >= n else truth


def expectations(truth: int | None, n: int) -> list[Expectation]:
    """The expectation derived from the truth (must pass) and contrasting ones (must fail)."""
    truth = truth_at(truth, n)
    concurrent = Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "pass")
    serialized = Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "pass")
    if truth is None:
        return [concurrent, Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "fail")]
    if truth == 1:
        return [serialized, Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "fail")]
    around = Expectation(
        f"{AROUND_LOW * truth:g}..{AROUND_HIGH * truth + AROUND_SLACK:g}",
        AROUND_LOW * truth,
        AROUND_HIGH * truth + AROUND_SLACK,
        "pass",
    )
    contrasts = [Expectation("serialized", None, SERIALIZED_MAX_CONCURRENCY, "fail")]
    if truth < CONCURRENT_MIN_FRACTION * n:  # a cap of 40 at N=50 meets `concurrent` (>= 40): no contrast
        contrasts.insert(0, Expectation("concurrent", CONCURRENT_MIN_FRACTION * n, None, "fail"))
    return [around, *contrasts]


@dataclass(frozen=True)
class Row:
    case: str
    handler_ms: int
    n: int
    truth: str
    client_c: float
    allowed: float | None
    limited_by: str
    verdicts: list[tuple[Expectation, str]]

    def outcome(self, expectation: Expectation, verdict: str) -> str:
        if verdict == "error":
            return "error"
        return "right" if verdict == expectation.should else f"wrong {verdict}"


def judge_cell(case: Case, handler_ms: int, n: int, figures: AttemptFigures) -> Row:
    verdicts = [(e, judge(figures, e.low, e.high, e.text).verdict) for e in expectations(case.truth, n)]
    median = figures.median_burst
    return Row(
        case=case.name,
        handler_ms=handler_ms,
        n=n,
        truth=str(truth_at(case.truth, n) or n),
        client_c=figures.effective_concurrency,
        allowed=figures.allowed_concurrency,
        limited_by=median.allowed.limited_by if median.allowed else "-",
        verdicts=verdicts,
    )


def evaluate(raw: dict) -> list[Row]:
    rows = []
    for case in CASES:
        for ms in HANDLER_MS:
            for n in SIZES:
                key = f"{case.name}|{ms}|{n}"
                if key not in raw:
                    continue
                figures = summarize(Measurement.from_json(raw[key]), 200)
                rows.append(judge_cell(case, ms, n, figures))
    return rows


def render(rows: list[Row], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| app @ server | handler | N | truth | client C | allowed (limited by) | verdicts |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        marks = ", ".join(
            f"{e.text}: {v}" + ("" if r.outcome(e, v) == "right" else f" **{r.outcome(e, v).upper()}**")
            for e, v in r.verdicts
        )
        allowed = f"{r.allowed:.1f} ({r.limited_by})" if r.allowed is not None else "-"
        lines.append(f"| {r.case} | {r.handler_ms} ms | {r.n} | {r.truth} | {r.client_c:.1f} | {allowed} | {marks} |")
    lines += ["", totals(rows)]
    return "\n".join(lines)


def totals(rows: list[Row]) -> str:
    outcomes = [r.outcome(e, v) for r in rows for e, v in r.verdicts]
    right = outcomes.count("right")
    return (
        f"**{right} of {len(outcomes)} verdicts right ({right / len(outcomes):.0%})**; "
        f"{outcomes.count('wrong pass')} wrong pass, {outcomes.count('wrong fail')} wrong fail, "
        f"{outcomes.count('error')} could not measure (error)."
    )


def summary(rows: list[Row], title: str) -> str:
    """One line per app @ server over every handler time and burst size: the README's table."""
    lines = [
        f"#### {title}",
        "",
        "| app @ server | truth | allowed (verdict's figure) | client C | verdicts right | wrong | error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in CASES:
        mine = [r for r in rows if r.case == case.name]
        if not mine:
            continue

        # "All of the burst" reads best as a share of N; a cap of k as the figure itself.
        def scale(row: Row, share_of_n: bool = case.truth is None) -> int:
            return row.n if share_of_n else 1

        unit = " x N" if case.truth is None else ""
        allowed = [r.allowed / scale(r) for r in mine if r.allowed is not None]
        outcomes = [r.outcome(e, v) for r in mine for e, v in r.verdicts]
        truth = "N" if case.truth is None else str(case.truth)
        if case.truth is not None and any(r.n <= case.truth for r in mine):
            truth = f"min(N, {case.truth})"
        span = f"{min(allowed):.2f}-{max(allowed):.2f}{unit}" if allowed else "-"
        clients = [r.client_c / scale(r) for r in mine]
        wrong = sum(o.startswith("wrong") for o in outcomes)
        lines.append(
            f"| {case.name} | {truth} | {span} | {min(clients):.2f}-{max(clients):.2f}{unit} | "
            f"{outcomes.count('right')}/{len(outcomes)} | {wrong} | {outcomes.count('error')} |"
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
    parser.add_argument("--demo", type=int, default=0, metavar="RUNS", help="also run `burstcheck demo` RUNS times")
    parser.add_argument("--summary", action="store_true", help="one line per app @ server instead of every cell")
    args = parser.parse_args()
    if args.load:
        raw = json.loads(args.load.read_text())
    else:
        with cpu_hogs(args.hogs):
            raw = gather(CASES, SIZES, HANDLER_MS, args.repeats)
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
