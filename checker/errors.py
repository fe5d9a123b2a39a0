"""Errors that end a run, each with the exit code it maps to; caught only in `checker.cli`."""

from __future__ import annotations

# Exit codes, documented in the README; CI users branch on them.
EXIT_OK = 0
EXIT_EXPECTATION_FAILED = 1
EXIT_CONFIG_ERROR = 2
EXIT_COULD_NOT_RUN = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class FatalError(Exception):
    """An error that stops burstcheck with a message instead of a traceback."""

    return_code = EXIT_COULD_NOT_RUN


class ConfigError(FatalError):
    """The config or the command line is wrong; the message says where and what to change."""

    return_code = EXIT_CONFIG_ERROR

    def __init__(self, message: str, *, file: str | None = None, problems: tuple[tuple[int, str], ...] = ()) -> None:
        super().__init__(message)
        self.file = file  # the config file the problems are in, for annotations
        self.problems = problems  # (line, "field: message") pairs


class RunError(FatalError):
    """burstcheck could not run a measurement (server would not boot, client failed)."""

    return_code = EXIT_COULD_NOT_RUN


class DeadlinePassed(RunError):
    """The run's deadline (--deadline) passed; the message says when."""


class Terminated(BaseException):
    """Raised from the SIGTERM handler so `finally` blocks stop servers, as on Ctrl-C."""
