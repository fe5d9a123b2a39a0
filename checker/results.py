"""The records a run produces and every report reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from checker.analysis import AttemptFigures, Judgement, Verdict
from checker.errors import (
    EXIT_CONFIG_ERROR,
    EXIT_COULD_NOT_RUN,
    EXIT_EXPECTATION_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
)
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
    expect_status: int = 200  # the endpoint's status that counts as an answer

    @property
    def figures(self) -> AttemptFigures | None:
        """Figures of the attempt the verdict rests on (the last), None when nothing was measured."""
        return self.attempts[-1].figures if self.attempts else None


# Results are compared with a baseline by what they measured: the same mode, endpoint and server.
Key = tuple[str, str, str]


def key_of(result: Result) -> Key:
    return result.mode, result.endpoint, result.server


@dataclass(frozen=True)
class Change:
    mode: str
    endpoint: str
    server: str
    before: float | None  # the baseline's measured concurrency; None where it measured nothing
    after: float | None
    regressed: bool  # dropped by more than the tolerance

    @property
    def relative(self) -> float | None:
        """after / before - 1 (e.g. -0.33 for 9 -> 6); None unless both were measured."""
        if self.before is None or self.after is None or self.before <= 0:
            return None
        return self.after / self.before - 1

    def describe(self) -> str:
        """'9.0 -> 6.0 (-33%)' or why nothing can be compared."""
        if self.before is None:
            return "not measured on the baseline"
        if self.after is None:
            return f"{self.before:.1f} on the baseline, not measured now"
        change = self.relative
        return f"{self.before:.1f} -> {self.after:.1f}" + (f" ({change:+.0%})" if change is not None else "")


@dataclass(frozen=True)
class Baseline:
    path: str
    tolerance: float
    changes: tuple[Change, ...] = ()
    warning: str = ""  # why the baseline could not be (fully) used; shown, never fatal

    def change_of(self, result: Result) -> Change | None:
        return next(
            (c for c in self.changes if (c.mode, c.endpoint, c.server) == key_of(result)),
            None,
        )

    @property
    def regressions(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.regressed)


# How a run ended. Every ending still writes every report, with what was measured until then.
Ending = Literal["complete", "config_error", "could_not_run", "deadline", "interrupted", "terminated", "internal_error"]
STOPPED_BY = {
    "interrupted": "interrupted (Ctrl-C); servers stopped",
    "terminated": "terminated (SIGTERM); servers stopped",
}
RunVerdict = Literal["pass", "fail", "error", "interrupted"]
_ENDING_EXIT = {
    "config_error": EXIT_CONFIG_ERROR,
    "could_not_run": EXIT_COULD_NOT_RUN,
    "deadline": EXIT_COULD_NOT_RUN,
    "internal_error": EXIT_COULD_NOT_RUN,
}


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
        if self.ending == "interrupted":
            return EXIT_INTERRUPTED
        if self.ending == "terminated":
            return EXIT_TERMINATED
        if self.verdict == "fail":
            return EXIT_EXPECTATION_FAILED
        if self.ending in _ENDING_EXIT:
            return _ENDING_EXIT[self.ending]
        return EXIT_COULD_NOT_RUN if self.verdict == "error" else EXIT_OK
