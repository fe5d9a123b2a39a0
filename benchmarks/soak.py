"""Soak: many consecutive runs of a three-mode config in one process, and nothing grows - open file descriptors,
threads, temporary files, processes left running. `python benchmarks/soak.py [--runs 200] [--warmup 3]`.

Each run is `burstcheck run` as the command line calls it (checker.cli.commands.run), in this process, with its
reports written; after each, what the process holds is sampled. The first `--warmup` runs may grow (imports,
caches); after them every sample must equal the first. Prints one JSON line per run and a verdict; exits 1 when
something grew. tests/faults/test_soak.py runs a short version on every test run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "tests" / "apps"
CONFIG = f"""\
app: sleepy:app
app_dir: {APPS}
endpoints: [{{path: '/?seconds=0.02'}}]
burst: {{requests: 4, repeats: 1, calibration_requests: 1, timeout: 10}}
modes:
  - {{name: serial, threaded: false, expect: serialized}}
  - {{name: threaded, threaded: true, expect: {{min_concurrency: 2}}}}
  - {{name: forked, processes: 2, expect: {{min_concurrency: 1.5, max_concurrency: 2.5}}}}
"""
# A run's reader threads end with the output they read; this long for the last of them to go.
SETTLE_S = 5.0


@dataclass(frozen=True)
class Sample:
    run: int
    exit_code: int
    open_fds: int
    threads: int
    temporary_files: int
    processes_left: int
    seconds: float


def sample(run: int, exit_code: int, temporary: Path, seconds: float) -> Sample:
    me = psutil.Process()
    deadline = time.monotonic() + SETTLE_S
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    gc.collect()
    return Sample(
        run=run,
        exit_code=exit_code,
        open_fds=me.num_fds(),
        threads=me.num_threads(),
        temporary_files=sum(len(files) for _, _, files in os.walk(temporary)),
        processes_left=len(me.children(recursive=True)),
        seconds=round(seconds, 2),
    )


def soak(runs: int, warmup: int, folder: Path) -> list[Sample]:
    # Every temporary file burstcheck makes goes here, where they can be counted.
    temporary = folder / "tmp"
    temporary.mkdir()
    tempfile.tempdir = str(temporary)
    os.environ["TMPDIR"] = str(temporary)
    config = folder / "burstcheck.yaml"
    config.write_text(CONFIG)
    from checker.cli.commands.run import run
    from checker.reports.outputs import Targets

    targets = Targets(json_path=folder / "report.json", junit_path=folder / "junit.xml", html_path=folder / "r.html")
    samples = []
    for number in range(1, runs + 1):
        started = time.monotonic()
        with contextlib.redirect_stdout(io.StringIO()):
            exit_code = run(config, modes=None, targets=targets, quiet=True)
        samples.append(sample(number, exit_code, temporary, time.monotonic() - started))
        print(json.dumps(asdict(samples[-1])), flush=True)
    return samples


def grown(samples: list[Sample], warmup: int) -> list[str]:
    """What grew after the warm-up runs, and runs that did not pass."""
    problems = [f"run {s.run} exited {s.exit_code}" for s in samples if s.exit_code != 0]
    settled = samples[min(warmup, len(samples) - 1)]
    for field in ("open_fds", "threads", "temporary_files", "processes_left"):
        peak = max(getattr(s, field) for s in samples[warmup:])
        if peak > getattr(settled, field) or (field == "processes_left" and peak):
            problems.append(f"{field}: {getattr(settled, field)} after run {settled.run}, up to {peak}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3, help="runs that may still grow (imports, caches)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="burstcheck-soak-") as folder:
        samples = soak(args.runs, args.warmup, Path(folder))
    problems = grown(samples, args.warmup)
    print(json.dumps({"runs": len(samples), "grew": problems}), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
