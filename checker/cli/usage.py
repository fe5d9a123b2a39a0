"""A command line that argparse refuses (`--deadline abc`, a typo in the Action's `args:`) still writes the
reports it asked for: what can be read of it is read - its command, its report paths, its config - and the
run ends as a usage error (exit 2) with every output, the job summary and step outputs included."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from checker.endings import Ended
from checker.errors import EXIT_CONFIG_ERROR
from checker.reports.outputs import Targets, finish
from checker.results import stopped_report

# The commands that write reports; a usage error of the others (compare, init, schema) writes none.
REPORTING = ("run", "demo", "merge")
DEFAULT_CONFIG = "burstcheck.yaml"


class UsageError(Exception):
    """argparse's error, raised instead of exiting: the message, and the usage of the (sub)command."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are raised (its subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage(), self.prog)


@dataclass(frozen=True)
class Salvaged:
    """What a refused command line asked for, as far as it can be read."""

    command: str
    config: str
    targets: Targets


def salvage(argv: list[str], top: argparse.ArgumentParser) -> Salvaged | None:
    """The reporting command of `argv` and the options it could read (an option it cannot read is skipped);
    None when the command writes no reports."""
    command = next((token for token in argv if not token.startswith("-")), None)
    if command not in REPORTING:
        return None
    sub = _subparser(top, command)
    tokens = argv[argv.index(command) + 1 :]
    values, positionals = _scan(tokens, [a for a in sub._actions if a.option_strings])
    config = positionals[0] if command == "run" and positionals else DEFAULT_CONFIG
    targets = Targets(
        json_path=_path(values.get("json")),
        junit_path=_path(values.get("junit")),
        html_path=_path(values.get("html")),
        timelines=values.get("timeline") is True,
        comment=values.get("comment") is True,
    )
    return Salvaged(command, config if command == "run" else f"burstcheck {command}", targets)


def report_usage_error(argv: list[str], top: argparse.ArgumentParser, error: UsageError) -> int:
    """Say what was wrong, write the reports the command line asked for, and return the exit code (2)."""
    problem = f"usage error: {error.message} (see: {error.prog} --help)"
    salvaged = salvage(argv, top)
    if salvaged is None:
        print(f"{error.usage}burstcheck: {problem}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    print(error.usage, end="", file=sys.stderr)
    report = stopped_report(salvaged.config, Ended("config_error", problem), 0.0)
    return finish(report, salvaged.targets)


def _subparser(top: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]  # type: ignore[no-any-return]
    raise LookupError(command)


def _scan(tokens: list[str], options: list[argparse.Action]) -> tuple[dict[str, str | bool], list[str]]:
    """Options (exact, `--name=value`, or an unambiguous prefix, as argparse allows) and positionals."""
    values: dict[str, str | bool] = {}
    positionals: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == "--":
            positionals += tokens[index:]
            break
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        name, has_value, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        action = _option(name, options)
        if action is None:
            continue  # unknown: nothing to read in it
        if action.nargs == 0:
            values[action.dest] = True
        elif has_value:
            values[action.dest] = inline
        elif index < len(tokens) and not tokens[index].startswith("-"):
            values[action.dest] = tokens[index]
            index += 1
    return values, positionals


def _option(name: str, options: list[argparse.Action]) -> argparse.Action | None:
    exact = [a for a in options if name in a.option_strings]
    if exact:
        return exact[0]
    if not name.startswith("--"):
        return None
    prefixed = [a for a in options if any(s.startswith(name) for s in a.option_strings if s.startswith("--"))]
    return prefixed[0] if len(prefixed) == 1 else None


def _path(value: str | bool | None) -> Path | None:
    return Path(value) if isinstance(value, str) and value else None
