"""Comparison with a baseline (a JSON report of an earlier run, typically of main): for each mode x endpoint,
the measured concurrency then and now, and whether it dropped by more than the noise allows. Pure: reports
come in as parsed JSON or results, a comparison goes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from checker.results import Baseline, Change, Key, Result, key_of

SCHEMA_VERSIONS = (3,)  # reports whose `measured` means what today's does


def measured_in_report(data: Mapping[str, Any]) -> tuple[dict[Key, float | None], str]:
    """A JSON report's measured values by key, and a warning when it is not a report this version reads."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        return {}, "it is not a burstcheck JSON report"
    version = data.get("schema_version")
    if version not in SCHEMA_VERSIONS:
        return {}, f"its schema_version is {version!r}; this burstcheck compares with {SCHEMA_VERSIONS[-1]}"
    values: dict[Key, float | None] = {}
    for item in data["results"]:
        if isinstance(item, Mapping):
            key = (str(item.get("mode")), str(item.get("endpoint")), str(item.get("server")))
            measured = item.get("measured")
            # As for today's results: one that could not be measured (a busy machine) has no figure to compare.
            usable = item.get("verdict") != "error"
            values[key] = float(measured) if usable and isinstance(measured, int | float) else None
    return values, ""


def compare(
    before: Mapping[Key, float | None], after: Mapping[Key, float | None], tolerance: float, path: str
) -> Baseline:
    """Every key of `after` against `before`. A drop below (1 - tolerance) x the baseline is a regression."""
    changes = []
    for key, now in after.items():
        if key not in before:
            continue
        then = before[key]
        regressed = then is not None and now is not None and now < then * (1 - tolerance)
        changes.append(Change(*key, before=then, after=now, regressed=regressed))
    warning = "" if changes or not after else "no mode x endpoint of this run is in it (another config?)"
    return Baseline(path=path, tolerance=tolerance, changes=tuple(changes), warning=warning)


def measured_in_results(results: Iterable[Result]) -> dict[Key, float | None]:
    """A result that could not be measured (a busy machine, failed requests) has no figure to compare."""
    return {key_of(r): (r.figures.measured if r.figures and r.verdict != "error" else None) for r in results}


def fail_regressions(results: Iterable[Result], baseline: Baseline) -> tuple[Result, ...]:
    """`fail_on_regression: true`: a result that regressed fails, even where its expectation passed."""
    out = []
    for result in results:
        change = baseline.change_of(result)
        if change is not None and change.regressed and result.verdict == "pass":
            reason = (
                f"regressed against the baseline: {change.describe()}, more than the"
                f" {baseline.tolerance:.0%} tolerance (fail_on_regression); {result.reason}"
            )
            result = replace(result, verdict="fail", reason=reason)
        out.append(result)
    return tuple(out)
