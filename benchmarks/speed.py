"""Speed targets, measured on this machine (not timed tests): `python benchmarks/speed.py [--servers ...]`.

1. `burstcheck demo` finishes in under 10 s.
2. A threaded burst of 10 x 0.5 s requests takes at most 1.15 x the sleep.
3. The client releases a burst at once: send spread <= 5 ms at N=100 and <= 50 ms at N=1000.
4. Against `hey -n N -c N -disable-keepalive` (Debian's `hey`) on the same server, alternating, median of 5:
   the burst's wall no longer than hey's at N=10 and 100, at most 0.6 x hey's at N=500 and 1000, no longer
   than hey's at 2000; and no failed request in 5 bursts at N=1000 and 2000. The burst's wall here is what a
   client lives through: from its first request sent to its last answer read (the release included).
5. `burstcheck run` with `requests: 1000, repeats: 3` on a 0.5 s sleeping handler passes
   `{min_concurrency: 500}` within 15 s of wall time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from checker.analysis.figures import summarize
from checker.config import AnyMode, Burst, Endpoint, GunicornMode, UvicornMode, WaitressMode, WerkzeugMode
from checker.run.burst_client import measure
from checker.run.server import running_server
from checker.wire import RequestTiming

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "tests" / "apps"
SLEEP_S = 0.5


def _mode(kind: type[AnyMode], **fields: object) -> AnyMode:
    return kind.model_validate({"name": "m", "expect": "concurrent", **fields})


# Servers that hey loads without failures at 2000 connections: a thread per request, or pools as wide.
SERVERS: dict[str, tuple[AnyMode, str, str]] = {
    "werkzeug threaded": (_mode(WerkzeugMode, threaded=True), "sleepy:app", f"/slow?seconds={SLEEP_S}"),
    "gunicorn gthread 4x256": (
        _mode(GunicornMode, server="gunicorn", worker_class="gthread", threads=256, workers=4),
        "sleepy:app",
        f"/slow?seconds={SLEEP_S}",
    ),
    "waitress 256": (
        # waitress stops accepting at connection_limit (100 by default): raised, so that it can take the burst
        # (past 1000 sockets its loop needs poll()).
        _mode(WaitressMode, server="waitress", threads=256, connection_limit=2002, asyncore_use_poll=True),
        "sleepy:app",
        f"/slow?seconds={SLEEP_S}",
    ),
    "uvicorn": (_mode(UvicornMode, server="uvicorn"), "asgi_ref:app", f"/async-sleep?ms={SLEEP_S * 1000:g}"),
}


def client_wall_s(burst: tuple[RequestTiming, ...]) -> float:
    """From the first request sent to the last answer read: what a client of the burst lives through."""
    return max(t.done_s for t in burst) - min(t.sent_s for t in burst)


def demo_seconds(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "checker", "demo", "--quiet"], check=True, capture_output=True)
        times.append(time.monotonic() - started)
    return times


def threaded_ratio(repeats: int = 5) -> list[float]:
    mode, app, path = SERVERS["werkzeug threaded"]
    endpoint = Endpoint(path=path)
    burst = Burst(requests=10, repeats=repeats, calibration_requests=3, timeout=10)
    with running_server(mode, app=app, app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, _ = measure(server.base_url, endpoint, burst)
    return [client_wall_s(b) / SLEEP_S for b in measurement.bursts]


def send_spreads(requests: int, repeats: int = 3) -> list[float]:
    mode, app, path = SERVERS["werkzeug threaded"]
    endpoint = Endpoint(path=path)
    burst = Burst(requests=requests, repeats=repeats, calibration_requests=1, timeout=60)
    with running_server(mode, app=app, app_dir=APPS, probe=endpoint, boot_timeout_s=20) as server:
        measurement, _ = measure(server.base_url, endpoint, burst)
    return [b.send_spread_s for b in summarize(measurement, 200).bursts]


def hey_wall_s(url: str, requests: int) -> tuple[float, int]:
    """hey's total time for N requests at concurrency N, and how many failed."""
    argv = ["hey", "-n", str(requests), "-c", str(requests), "-disable-keepalive", "-t", "60", url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    total = re.search(r"Total:\s+([\d.]+) secs", out)
    assert total is not None, out
    answered = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", out))
    return float(total.group(1)), requests - answered


def against_hey(server_name: str, requests: int, rounds: int = 5) -> dict[str, float]:
    """Alternating rounds of one burstcheck burst and one hey run on the same server: medians and failures."""
    mode, app, path = SERVERS[server_name]
    endpoint = Endpoint(path=path)
    ours, theirs, our_failures, their_failures, peak_kib = [], [], 0, 0, 0
    burst = Burst(requests=requests, repeats=1, calibration_requests=1, timeout=60)
    with running_server(mode, app=app, app_dir=APPS, probe=endpoint, boot_timeout_s=30) as server:
        for _ in range(rounds):
            measurement, rss = measure(server.base_url, endpoint, burst, warm_up=1)
            peak_kib = max(peak_kib, rss)
            (timings,) = measurement.bursts
            ours.append(client_wall_s(timings))
            our_failures += sum(t.error is not None or t.status != 200 for t in timings)
            time.sleep(1)  # the server closes the burst's connections before hey's
            wall, failed = hey_wall_s(server.base_url + path, requests)
            theirs.append(wall)
            their_failures += failed
            time.sleep(1)
    return {
        "ours": statistics.median(ours),
        "hey": statistics.median(theirs),
        "our_failures": our_failures,
        "hey_failures": their_failures,
        "peak_mib": peak_kib / 1024,
    }


def run_1000() -> tuple[float, int, str]:
    """`burstcheck run` of a 1000-request config: its wall time, exit code and result line."""
    config = (
        f"app: sleepy:app\napp_dir: {APPS}\nendpoints: [{{path: '/slow?seconds={SLEEP_S}'}}]\n"
        "burst: {requests: 1000, repeats: 3, timeout: 60}\n"
        "modes: [{name: threaded, threaded: true, expect: {min_concurrency: 500}}]\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "burstcheck.yaml"
        path.write_text(config)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "checker", "run", str(path), "--quiet"], capture_output=True, text=True, timeout=600
        )
        line = next((line for line in done.stdout.splitlines() if line.startswith(("PASS", "FAIL", "ERROR"))), "")
        return time.monotonic() - started, done.returncode, line


TARGETS: dict[int, Callable[[float, float], bool]] = {
    10: lambda ours, hey: ours <= hey,
    100: lambda ours, hey: ours <= hey,
    500: lambda ours, hey: ours <= 0.6 * hey,
    1000: lambda ours, hey: ours <= 0.6 * hey,
    2000: lambda ours, hey: ours <= hey,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", nargs="*", default=["werkzeug threaded"], choices=sorted(SERVERS))
    parser.add_argument("--sizes", nargs="*", type=int, default=sorted(TARGETS))
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    if not args.skip_demo:
        demo = demo_seconds()
        print(f"demo wall: median {statistics.median(demo):.2f} s, max {max(demo):.2f} s (target < 10 s)")
        ratios = threaded_ratio()
        print(f"threaded 10 x 0.5 s burst / sleep: median {statistics.median(ratios):.3f} (target <= 1.15)")
        for n, target_ms in ((100, 5), (1000, 50)):
            spreads = send_spreads(n)
            print(f"send spread at N={n}: median {statistics.median(spreads) * 1000:.1f} ms (target <= {target_ms} ms)")
        seconds, code, line = run_1000()
        print(f"run of 1000 x 3 at 0.5 s: {seconds:.1f} s, exit {code} (target: exit 0 within 15 s): {line}")
    if shutil.which("hey") is None:
        print("hey is not installed (apt-get install hey): no comparison")
        return
    for server_name in args.servers:
        for n in args.sizes:
            found = against_hey(server_name, n)
            met = "met" if TARGETS[n](found["ours"], found["hey"]) else "MISSED"
            print(
                f"{server_name} N={n}: burstcheck {found['ours']:.3f} s, hey {found['hey']:.3f} s"
                f" ({found['ours'] / found['hey']:.2f}x, {met}); failed requests: burstcheck"
                f" {found['our_failures']:.0f}, hey {found['hey_failures']:.0f};"
                f" client peak {found['peak_mib']:.0f} MiB"
            )


if __name__ == "__main__":
    main()
