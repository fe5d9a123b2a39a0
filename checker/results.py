"""The records a run produces and every report reads."""

from __future__ import annotations

from dataclasses import dataclass

from checker.analysis import AttemptFigures, Judgement, Verdict
from checker.timings import Measurement


@dataclass(frozen=True)
class Attempt:
    """One calibration + bursts of one endpoint; a missed expectation is measured once more."""

    measurement: Measurement
    figures: AttemptFigures
    judgement: Judgement


@dataclass(frozen=True)
class Result:
    """One mode x endpoint."""

    mode: str
    server: str  # e.g. "werkzeug threaded=True"
    endpoint: str  # e.g. "GET /slow"
    expected: str  # e.g. ">= 8"
    min_concurrency: float | None
    max_concurrency: float | None
    verdict: Verdict
    reason: str
    config_line: int  # line of the mode's `expect:` in the config, for annotations
    diagnosis: str = ""  # why it ran as it did, in plain words; empty when nothing was measured
    duration_s: float = 0.0  # time spent measuring this result
    attempts: tuple[Attempt, ...] = ()
    python: str = ""  # the app's interpreter and how it was chosen; empty where not known

    @property
    def figures(self) -> AttemptFigures | None:
        """Figures of the attempt the verdict rests on (the last), None when nothing was measured."""
        return self.attempts[-1].figures if self.attempts else None


@dataclass(frozen=True)
class RunReport:
    config_path: str
    results: tuple[Result, ...]
    duration_s: float
    client_peak_rss_kib: int

    @property
    def verdict(self) -> Verdict:
        """fail beats error: a measured regression must not hide behind an unrelated run error."""
        verdicts = {r.verdict for r in self.results}
        if "fail" in verdicts:
            return "fail"
        return "error" if "error" in verdicts else "pass"
