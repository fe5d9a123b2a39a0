"""The records a run produces and every report reads, and the one rule from how a run ended to its verdict
and exit code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from checker.analysis.baseline import Baseline, Key
from checker.analysis.figures import AttemptFigures
from checker.analysis.verdict import Judgement, Verdict
from checker.endings import EXIT_CODES, Ended, Ending
from checker.errors import EXIT_COULD_NOT_RUN, EXIT_EXPECTATION_FAILED, EXIT_OK
from checker.wire import Measurement


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
    expect_status: int = 200  # the endpoint's status that counts as an answer
    min_parallelism: float | None = None  # the expectation's minimum of cores' worth of CPU at once
    # The verdict's figure as a JSON report gave it, for a result read back from one (a baseline); None for a
    # result measured by this run. A baseline is compared by what it reported, whatever reads it now.
    reported: float | None = None

    @property
    def figures(self) -> AttemptFigures | None:
        """Figures of the attempt the verdict rests on (the last), None when nothing was measured."""
        return self.attempts[-1].figures if self.attempts else None

    @property
    def key(self) -> Key:
        """What a baseline compares it by: the same mode, endpoint and server."""
        return self.mode, self.endpoint, self.server

    @property
    def comparable(self) -> float | None:
        """The measured concurrency to compare with a baseline; None for a result that could not be measured
        (a busy machine, failed requests): it has no figure to compare."""
        if self.verdict == "error":
            return None
        if self.reported is not None:
            return self.reported
        return self.figures.measured if self.figures else None


def measured_by_key(results: Iterable[Result]) -> dict[Key, float | None]:
    return {result.key: result.comparable for result in results}


def fail_regressions(results: Iterable[Result], baseline: Baseline) -> tuple[Result, ...]:
    """`fail_on_regression: true`: a result that regressed fails, even where its expectation passed."""
    out = []
    for result in results:
        change = baseline.change_of(result.key)
        if change is not None and change.regressed and result.verdict == "pass":
            reason = (
                f"regressed against the baseline: {change.describe()}, more than the"
                f" {baseline.tolerance:.0%} tolerance (fail_on_regression); {result.reason}"
            )
            result = replace(result, verdict="fail", reason=reason)
        out.append(result)
    return tuple(out)


RunVerdict = Literal["pass", "fail", "error", "interrupted"]


@dataclass(frozen=True)
class RunReport:
    config_path: str
    results: tuple[Result, ...]
    duration_s: float
    client_peak_rss_kib: int
    ending: Ending = "complete"
    problem: str = ""  # why the run ended early (the message printed), empty when it completed
    config_problems: tuple[tuple[int, str], ...] = ()  # (line, message) of each config error, for annotations
    baseline: Baseline | None = None  # the comparison with --baseline, when one was given

    @property
    def counts(self) -> dict[Verdict, int]:
        """Results per verdict, counted once for every report."""
        return {v: sum(r.verdict == v for r in self.results) for v in ("fail", "error", "pass")}

    @property
    def verdict(self) -> RunVerdict:
        """fail beats everything: a measured regression must not hide behind an unrelated error or a stop."""
        counts = self.counts
        if counts["fail"]:
            return "fail"
        if self.ending in ("interrupted", "terminated"):
            return "interrupted"
        if counts["error"] or self.ending != "complete" or not self.results:
            return "error"
        return "pass"

    @property
    def exit_code(self) -> int:
        """The one place a report becomes an exit code. A cancelled run says so (130/143) even past a fail,
        as shells expect; otherwise a measured fail is 1 whatever else went wrong."""
        if self.ending in ("interrupted", "terminated"):
            return EXIT_CODES[self.ending]
        if self.verdict == "fail":
            return EXIT_EXPECTATION_FAILED
        if self.ending != "complete":
            return EXIT_CODES[self.ending]
        return EXIT_COULD_NOT_RUN if self.verdict == "error" else EXIT_OK


def stopped_report(config_path: str, ended: Ended, duration_s: float) -> RunReport:
    """The report of a run that ended before it measured anything (a config error, Ctrl-C while loading)."""
    return RunReport(
        config_path,
        (),
        duration_s,
        0,
        ending=ended.ending,
        problem=ended.problem,
        config_problems=ended.config_problems,
    )
