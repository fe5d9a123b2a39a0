"""Comparison with a baseline (a JSON report of an earlier run, typically of main): for each mode x endpoint,
the measured concurrency then and now, and whether it dropped by more than the noise allows. Pure: measured
values by key come in, a comparison goes out; the baseline owns its records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Results are compared by what they measured: the same mode, endpoint and server.
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    mode: str
    endpoint: str
    server: str
    before: float | None  # the baseline's measured concurrency; None where it measured nothing
    after: float | None
    regressed: bool  # dropped by more than the tolerance

    @property
    def key(self) -> Key:
        return self.mode, self.endpoint, self.server

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

    def change_of(self, key: Key) -> Change | None:
        return next((c for c in self.changes if c.key == key), None)

    @property
    def regressions(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.regressed)


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


def unusable(path: str, tolerance: float, why: str) -> Baseline:
    """A baseline that could not be read: a warning, never a failure."""
    return Baseline(path=path, tolerance=tolerance, warning=why)
