"""What else the machine is doing while burstcheck measures: CPU time used by processes that are not this
run's (a CI runner's other jobs, a compiler, a CPU hog). CPU-bound handlers cannot be judged against it."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from dataclasses import dataclass

import psutil

from checker.run.process_path import TOKEN_VARIABLE
from checker.run.processes import active_tokens

ProcessKey = tuple[int, float]  # pid and creation time: a pid can be reused


@dataclass(frozen=True)
class CpuSample:
    taken_s: float
    others_cpu_s: dict[ProcessKey, float]


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def sample_others() -> CpuSample:
    """CPU seconds so far of every process that is neither this one nor started by this run."""
    mine = active_tokens()
    others: dict[ProcessKey, float] = {}
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with suppress(psutil.Error):
            if process.environ().get(TOKEN_VARIABLE) in mine:
                continue
        with suppress(psutil.Error):
            others[(process.pid, process.create_time())] = _cpu_seconds(process)
    return CpuSample(time.monotonic(), others)


def others_cpu_cores(before: CpuSample, after: CpuSample) -> float:
    """Average CPU cores that other processes used between two samples (processes started in between count
    whole; those that ended in between are not seen)."""
    wall_s = after.taken_s - before.taken_s
    if wall_s <= 0:
        return 0.0
    used_s = sum(max(0.0, cpu_s - before.others_cpu_s.get(key, 0.0)) for key, cpu_s in after.others_cpu_s.items())
    return used_s / wall_s
