"""How a run ends, and the one helper that maps whatever stopped it to that ending: the command that writes
reports, the runner that keeps what it measured, and the command line's last resort all ask this, so an
exception means the same everywhere (pre-commit's error_handler, made to keep a run's reports)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from checker import crash_log
from checker.errors import (
    EXIT_CONFIG_ERROR,
    EXIT_COULD_NOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    ConfigError,
    DeadlinePassed,
    FatalError,
    Terminated,
)

# How a run ended. Every ending still writes every report, with what was measured until then.
Ending = Literal["complete", "config_error", "could_not_run", "deadline", "interrupted", "terminated", "internal_error"]
STOPPED_BY = {
    "interrupted": "interrupted (Ctrl-C); servers stopped",
    "terminated": "terminated (SIGTERM); servers stopped",
}
EXIT_CODES: dict[Ending, int] = {
    "complete": EXIT_OK,
    "config_error": EXIT_CONFIG_ERROR,
    "could_not_run": EXIT_COULD_NOT_RUN,
    "deadline": EXIT_COULD_NOT_RUN,
    "internal_error": EXIT_COULD_NOT_RUN,
    "interrupted": EXIT_INTERRUPTED,
    "terminated": EXIT_TERMINATED,
}


@dataclass(frozen=True)
class Ended:
    """A run that stopped early: how, the message to print, and where a config was wrong (for annotations)."""

    ending: Ending
    problem: str
    config_problems: tuple[tuple[int, str], ...] = ()

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.ending]


def ending_of(exc: BaseException) -> Ended | None:
    """The ending `exc` brings about; None for what is not a run's ending (SystemExit, GeneratorExit)."""
    if isinstance(exc, DeadlinePassed):
        return Ended("deadline", str(exc))
    if isinstance(exc, ConfigError):
        return Ended("config_error", str(exc), exc.problems if exc.file else ())
    if isinstance(exc, FatalError):
        return Ended("could_not_run", str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return Ended("interrupted", STOPPED_BY["interrupted"])
    if isinstance(exc, Terminated):
        return Ended("terminated", STOPPED_BY["terminated"])
    if isinstance(exc, Exception):  # a bug in burstcheck: the traceback goes to a log file, never the screen
        return Ended("internal_error", crash_log.record(exc))
    return None


@dataclass
class Outcome:
    ended: Ended | None = None


@contextmanager
def caught() -> Iterator[Outcome]:
    """Run a block; whatever ends it early is caught and mapped to its Ended (read it after the block)."""
    outcome = Outcome()
    try:
        yield outcome
    except BaseException as exc:
        ended = ending_of(exc)
        if ended is None:
            raise
        outcome.ended = ended
