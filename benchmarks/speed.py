"""Speed targets of issue 2, measured on this machine (not timed tests): `python benchmarks/speed.py`.

1. `burstcheck demo` finishes in under 10 s.
2. A threaded burst of 10 x 0.5 s requests takes at most 1.15 x the sleep (<= 0.58 s).
3. A burst of 500 simultaneous requests against a threaded server: no client errors; client peak memory.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from checker.analysis import summarize
from checker.config import Burst, Endpoint, WerkzeugMode
from checker.requester import measure
from checker.servers import running_server

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "tests" / "apps"
THREADED = WerkzeugMode(name="threaded", threaded=True, expect="concurrent")  # type: ignore[arg-type]


def demo_seconds(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "checker", "demo", "--quiet"], check=True, capture_output=True)
        times.append(time.monotonic() - started)
    return times


def threaded_ratio(sleep_s: float = 0.5, repeats: int = 5) -> list[float]:
    endpoint = Endpoint(path=f"/slow?seconds={sleep_s}")
    burst = Burst(requests=10, repeats=repeats, calibration_requests=3, timeout=10)
    with running_server(THREADED, app="sleepy:app", app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, _ = measure(server.base_url, endpoint, burst)
    return [b.burst_wall_s / sleep_s for b in summarize(measurement, 200).bursts]


def big_burst(requests: int = 500, sleep_s: float = 0.5) -> tuple[int, float, float, int]:
    endpoint = Endpoint(path=f"/slow?seconds={sleep_s}")
    burst = Burst(requests=requests, repeats=1, calibration_requests=1, timeout=60)
    with running_server(THREADED, app="sleepy:app", app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, peak_rss_kib = measure(server.base_url, endpoint, burst)
    figures = summarize(measurement, 200).bursts[0]
    return figures.errors, figures.burst_wall_s, figures.send_spread_s, peak_rss_kib


def main() -> None:
    demo = demo_seconds()
    print(f"demo wall: median {statistics.median(demo):.2f} s, max {max(demo):.2f} s (target < 10 s)")
    ratios = threaded_ratio()
    print(
        f"threaded 10 x 0.5 s burst / sleep: median {statistics.median(ratios):.3f}, max {max(ratios):.3f}"
        " (target <= 1.15)"
    )
    errors, wall, spread, rss = big_burst()
    print(
        f"500-request burst: {errors} client errors, wall {wall:.2f} s, send spread {spread:.3f} s, "
        f"client peak RSS {rss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
