"""`burstcheck compare OLD NEW`: the comparison of two JSON reports, as --baseline makes it, without running
anything; exit 1 when one regressed."""

from __future__ import annotations

from pathlib import Path

from checker.analysis import baseline
from checker.errors import EXIT_EXPECTATION_FAILED, EXIT_OK, ConfigError
from checker.reports import console, json_report
from checker.results import measured_by_key
from checker.safe_text import printable


def compare_reports(old: Path, new: Path, tolerance: float) -> int:
    reports = []
    for path in (old, new):
        try:
            reports.append(measured_by_key(json_report.read(path).results))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
    compared = baseline.compare(reports[0], reports[1], tolerance, str(old))
    print(printable(console.comparison(compared)))
    return EXIT_EXPECTATION_FAILED if compared.regressions else EXIT_OK
