"""`burstcheck merge`: the reports of jobs that each ran some modes of one config, as one report with every
output (job summary, PR comment, JSON); exits as that run would have."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from checker.errors import ConfigError
from checker.reports import json_report
from checker.reports.outputs import Targets, finish
from checker.results import RunReport


def merge(paths: Sequence[Path], targets: Targets) -> int:
    reports = []
    for path in paths:
        try:
            reports.append(json_report.read(path))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot merge {path}: {exc}") from None
    configs = sorted({r.config_path for r in reports})
    if len(configs) > 1:
        raise ConfigError(f"these reports are of different configs ({', '.join(configs)}); merge one config's")
    results = [result for report in reports for result in report.results]
    seen: set[tuple[str, str]] = set()
    for result in results:
        if (result.mode, result.endpoint) in seen:
            raise ConfigError(f"{result.mode} {result.endpoint} is in more than one report; merge each mode once")
        seen.add((result.mode, result.endpoint))
    stopped = [r for r in reports if r.ending != "complete"]
    merged = RunReport(
        config_path=configs[0],
        results=tuple(results),
        duration_s=max(r.duration_s for r in reports),  # the jobs ran side by side
        client_peak_rss_kib=max(r.client_peak_rss_kib for r in reports),
        ending=stopped[0].ending if stopped else "complete",
        problem="\n".join(r.problem for r in stopped),
    )
    return finish(merged, targets)
