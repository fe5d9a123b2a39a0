"""The machine-readable report (`--json PATH`). Its shape is documented in the README; bump
SCHEMA_VERSION on any change that could break a reader."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from checker import __version__
from checker.analysis.baseline import Baseline
from checker.analysis.figures import BurstFigures, summarize
from checker.analysis.verdict import Judgement
from checker.results import Attempt, Result, RunReport
from checker.safe_files import read_bounded
from checker.wire import Measurement, RequestTiming, ServerTiming

# 2: the verdict uses `measured` (the allowed concurrency, or client C for command servers), no longer
#    `effective_concurrency`; results and bursts carry `allowed`.
# 3: the run's `ending` and `problem` (a report is written however the run ends), `counts`, the verdict
#    `interrupted`, each request's `body_bytes`, `baseline`, and what reading a report back needs
#    (`t0_s` of bursts and calibrations, each result's `expect_status` and `duration_s`).
# 4: concurrency and parallelism apart: `allowed` has no `cpu` limit (new: `loop`, `pool`); results carry
#    `parallelism` and `expected.min_parallelism`; requests carry `release_offset_s` and the server's
#    `admitted_s`, `peers`, `peers_progressed`, process CPU and thread-pool figures; attempts carry
#    `server_capacity` (added within 4: readers of 4 that do not know it lose nothing).
SCHEMA_VERSION = 4
# A report of hundreds of results is a few megabytes: past this a file (/dev/zero) is not one, and is not read.
MAX_REPORT_BYTES = 256 * 1024 * 1024
# A report is a file on disk; a FIFO that nobody writes to must not hold a CI job for ever.
READ_TIMEOUT_S = 60.0


def _request(timing: RequestTiming, burst_start_s: float) -> dict[str, Any]:
    return {
        "start_offset_s": timing.sent_s - burst_start_s,
        "duration_s": timing.latency_s,
        "status": timing.status,
        "error": timing.error,
        "server": timing.server.to_json() if timing.server else None,
        "body_bytes": timing.body_bytes,
        "timing_error": timing.timing_error,
        "release_offset_s": timing.released_s - burst_start_s if timing.released_s is not None else None,
    }


def _burst(figures: BurstFigures, timings: tuple[RequestTiming, ...]) -> dict[str, Any]:
    start = min(t.sent_s for t in timings)
    return {**asdict(figures), "t0_s": start, "requests": [_request(t, start) for t in timings]}


def _attempt(attempt: Attempt) -> dict[str, Any]:
    figures = attempt.figures
    calibration_start = min(t.sent_s for t in attempt.measurement.calibration)
    return {
        "measured": figures.measured,
        "verdict_basis": figures.basis,
        "allowed_concurrency": figures.allowed_concurrency,
        "parallelism": figures.parallelism,
        "effective_concurrency": figures.effective_concurrency,
        "verdict": attempt.judgement.verdict,
        "reason": attempt.judgement.reason,
        "calibration_latency_s": figures.calibration_latency_s,
        "calibration_in_app_s": figures.calibration_in_app_s,
        "others_cpu_cores": figures.others_cpu_cores,
        "server_capacity": attempt.measurement.server_capacity,
        "control_overhead_s": figures.control_overhead_s,
        "unstable": figures.unstable,
        "calibration_t0_s": calibration_start,
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
        "expected": {
            "text": result.expected,
            "min": result.min_concurrency,
            "max": result.max_concurrency,
            "min_parallelism": result.min_parallelism,
        },
        "verdict": result.verdict,
        "reason": result.reason,
        "diagnosis": result.diagnosis,
        "config_line": result.config_line,
        "expect_status": result.expect_status,
        "duration_s": result.duration_s,
        "measured": figures.measured if figures else None,
        "verdict_basis": figures.basis if figures else None,
        "allowed_concurrency": figures.allowed_concurrency if figures else None,
        "parallelism": figures.parallelism if figures else None,
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


def _baseline(baseline: Baseline) -> dict[str, Any]:
    return {
        "path": baseline.path,
        "tolerance": baseline.tolerance,
        "warning": baseline.warning or None,
        "changes": [{**asdict(c), "relative": c.relative} for c in baseline.changes],
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
        "baseline": _baseline(report.baseline) if report.baseline else None,
    }


# --- reading a report back (burstcheck merge, --baseline, compare): the one reader of a JSON report ----------


def read(path: Path, timeout_s: float | None = READ_TIMEOUT_S) -> RunReport:
    """The report in a file; ValueError (or OSError: TimeoutError for a FIFO that nobody writes to) saying why
    it cannot be read."""
    data = read_bounded(path, MAX_REPORT_BYTES + 1, READ_TIMEOUT_S if timeout_s is None else timeout_s)
    if len(data) > MAX_REPORT_BYTES:
        raise ValueError(f"it is larger than {MAX_REPORT_BYTES} bytes: not a burstcheck JSON report")
    return load(json.loads(data.decode("utf-8")))


def load(data: dict[str, Any]) -> RunReport:
    """A report from its JSON: the timings as they were measured, the figures computed again from them (the
    same pure functions), the verdicts and reasons as they were given. Raises ValueError when `data` is not a
    report of this schema version."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("it is not a burstcheck JSON report")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"its schema_version is {data.get('schema_version')!r}; this burstcheck reads {SCHEMA_VERSION}"
        )
    try:
        return RunReport(
            config_path=str(data["config"]),
            results=tuple(_load_result(r) for r in data["results"]),
            duration_s=float(data["duration_s"]),
            client_peak_rss_kib=int(data["client_peak_rss_kib"]),
            ending=data["ending"],
            problem=data.get("problem") or "",
        )
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"a field is missing or malformed ({type(exc).__name__}: {exc})") from None


def _load_result(data: dict[str, Any]) -> Result:
    expected = data["expected"]
    return Result(
        mode=data["mode"],
        server=data["server"],
        endpoint=data["endpoint"],
        expected=expected["text"],
        min_concurrency=expected["min"],
        max_concurrency=expected["max"],
        min_parallelism=expected.get("min_parallelism"),
        verdict=data["verdict"],
        reason=data["reason"],
        config_line=int(data["config_line"]),
        diagnosis=data.get("diagnosis") or "",
        duration_s=float(data.get("duration_s") or 0.0),
        attempts=tuple(_load_attempt(a, int(data["expect_status"])) for a in data["attempts"]),
        python=data.get("python") or "",
        expect_status=int(data["expect_status"]),
        reported=float(data["measured"]) if isinstance(data.get("measured"), int | float) else None,
    )


def _load_attempt(data: dict[str, Any], expect_status: int) -> Attempt:
    measurement = Measurement(
        calibration=tuple(_load_request(r, float(data["calibration_t0_s"])) for r in data["calibration"]),
        bursts=tuple(tuple(_load_request(r, float(b["t0_s"])) for r in b["requests"]) for b in data["bursts"]),
        others_cpu_cores=data.get("others_cpu_cores"),
        server_capacity=data.get("server_capacity"),
    )
    figures = summarize(measurement, expect_status, overhead_s=data.get("control_overhead_s"))
    return Attempt(measurement, figures, Judgement(data["verdict"], data["reason"]))


def _load_request(data: dict[str, Any], t0_s: float) -> RequestTiming:
    sent = t0_s + float(data["start_offset_s"])
    server = data.get("server")
    return RequestTiming(
        sent_s=sent,
        done_s=sent + float(data["duration_s"]),
        status=data.get("status"),
        error=data.get("error"),
        server=ServerTiming.from_json(server) if server else None,
        body_bytes=int(data.get("body_bytes") or 0),
        timing_error=data.get("timing_error"),
        released_s=t0_s + float(data["release_offset_s"]) if data.get("release_offset_s") is not None else None,
    )
