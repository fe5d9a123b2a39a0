"""Speed targets, measured on this machine (not timed tests): `python benchmarks/speed.py`.

1. `burstcheck demo` finishes in under 10 s.
2. A threaded burst of 10 x 0.5 s requests takes at most 1.15 x the sleep (<= 0.58 s).
3. A burst of 500 simultaneous requests against a threaded server: no client errors; client peak memory.
4. The client releases a burst at once: send spread <= 5 ms at N=100 and <= 50 ms at N=1000.
5. Its burst wall is no longer than hey's (`hey -n N -c N -disable-keepalive`, Debian's `hey`) on the same
   threaded server at N=10, 100 and 500.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from checker.analysis.figures import summarize
from checker.config import Burst, Endpoint, WerkzeugMode
from checker.run.burst_client import measure
from checker.run.server import running_server

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


def send_spreads(requests: int, repeats: int = 3) -> list[float]:
    endpoint = Endpoint(path="/slow?seconds=0.5")
    burst = Burst(requests=requests, repeats=repeats, calibration_requests=1, timeout=60)
    with running_server(THREADED, app="sleepy:app", app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, _ = measure(server.base_url, endpoint, burst)
    return [b.send_spread_s for b in summarize(measurement, 200).bursts]


def walls_against_hey(requests: int, sleep_s: float = 0.5, repeats: int = 3) -> tuple[float, float] | None:
    """Median burst wall of burstcheck and of hey against one threaded server; None without hey."""
    hey = shutil.which("hey")
    if hey is None:
        return None
    endpoint = Endpoint(path=f"/slow?seconds={sleep_s}")
    burst = Burst(requests=requests, repeats=repeats, calibration_requests=1, timeout=60)
    with running_server(THREADED, app="sleepy:app", app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, _ = measure(server.base_url, endpoint, burst)
        ours = statistics.median(b.burst_wall_s for b in summarize(measurement, 200).bursts)
        theirs = []
        for _ in range(repeats):
            argv = [
                hey,
                "-n",
                str(requests),
                "-c",
                str(requests),
                "-disable-keepalive",
                server.base_url + endpoint.path,
            ]
            out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
            total = re.search(r"Total:\s+([\d.]+) secs", out)
            assert total is not None, out
            theirs.append(float(total.group(1)))
    return ours, statistics.median(theirs)


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
    for n, target_ms in ((100, 5), (1000, 50)):
        spreads = send_spreads(n)
        print(
            f"send spread at N={n}: median {statistics.median(spreads) * 1000:.1f} ms, "
            f"max {max(spreads) * 1000:.1f} ms (target <= {target_ms} ms)"
        )
    for n in (10, 100, 500):
        walls = walls_against_hey(n)
        if walls is None:
            print("hey is not installed (apt-get install hey): no comparison")
            break
        ours, theirs = walls
        print(f"burst wall at N={n}: burstcheck {ours:.3f} s, hey {theirs:.3f} s ({ours / theirs:.2f}x, target <= 1)")


if __name__ == "__main__":
    main()
