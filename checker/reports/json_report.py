"""The machine-readable report (`--json PATH`). Its shape is documented in the README; bump
SCHEMA_VERSION on any change that could break a reader."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from checker import __version__
from checker.analysis import BurstFigures
from checker.results import Attempt, Result, RunReport
from checker.timings import RequestTiming

# 2: the verdict uses `measured` (the allowed concurrency, or client C for command servers), no longer
#    `effective_concurrency`; results and bursts carry `allowed`.
# 3: the run's `ending` and `problem` (a report is written however the run ends), `counts`, the verdict
#    `interrupted`, and each request's `body_bytes`.
SCHEMA_VERSION = 3


def _request(timing: RequestTiming, burst_start_s: float) -> dict[str, Any]:
    return {
        "start_offset_s": timing.sent_s - burst_start_s,
        "duration_s": timing.latency_s,
        "status": timing.status,
        "error": timing.error,
        "server": asdict(timing.server) if timing.server else None,
        "body_bytes": timing.body_bytes,
    }


def _burst(figures: BurstFigures, timings: tuple[RequestTiming, ...]) -> dict[str, Any]:
    start = min(t.sent_s for t in timings)
    return {**asdict(figures), "requests": [_request(t, start) for t in timings]}


def _attempt(attempt: Attempt) -> dict[str, Any]:
    figures = attempt.figures
    calibration_start = min(t.sent_s for t in attempt.measurement.calibration)
    return {
        "measured": figures.measured,
        "verdict_basis": figures.basis,
        "allowed_concurrency": figures.allowed_concurrency,
        "effective_concurrency": figures.effective_concurrency,
        "verdict": attempt.judgement.verdict,
        "reason": attempt.judgement.reason,
        "calibration_latency_s": figures.calibration_latency_s,
        "calibration_in_app_s": figures.calibration_in_app_s,
        "others_cpu_cores": figures.others_cpu_cores,
        "control_overhead_s": figures.control_overhead_s,
        "unstable": figures.unstable,
        "calibration": [_request(t, calibration_start) for t in attempt.measurement.calibration],
        "bursts": [_burst(f, t) for f, t in zip(figures.bursts, attempt.measurement.bursts, strict=True)],
    }


def result_json(result: Result) -> dict[str, Any]:
    figures = result.figures
    median = figures.median_burst if figures else None
    return {
        "mode": result.mode,
        "server": result.server,
        "endpoint": result.endpoint,
        "python": result.python or None,
        "expected": {"text": result.expected, "min": result.min_concurrency, "max": result.max_concurrency},
        "verdict": result.verdict,
        "reason": result.reason,
        "diagnosis": result.diagnosis,
        "config_line": result.config_line,
        "measured": figures.measured if figures else None,
        "verdict_basis": figures.basis if figures else None,
        "allowed_concurrency": figures.allowed_concurrency if figures else None,
        "allowed": asdict(median.allowed) if median and median.allowed else None,
        "effective_concurrency": figures.effective_concurrency if figures else None,
        "calibration_latency_s": figures.calibration_latency_s if figures else None,
        "burst_wall_s": median.burst_wall_s if median else None,
        "send_spread_s": median.send_spread_s if median else None,
        "latency": asdict(median.latency) if median else None,
        "server_figures": asdict(median.server) if median and median.server else None,
        "calibration_cpu_share": figures.calibration_cpu_share if figures else None,
        "attempts": [_attempt(a) for a in result.attempts],
    }


def render(report: RunReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "burstcheck", "version": __version__},
        "config": report.config_path,
        "verdict": report.verdict,
        "ending": report.ending,
        "problem": report.problem or None,
        "counts": report.counts,
        "duration_s": report.duration_s,
        "client_peak_rss_kib": report.client_peak_rss_kib,
        "results": [result_json(r) for r in report.results],
    }
