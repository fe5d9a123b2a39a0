"""The command line's grammar: every command, option and help text (parsing only; checker.cli.main runs it)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from checker import __version__
from checker.cli.commands.run import DEFAULT_DEADLINE_S, QUICK_CALIBRATION_REQUESTS
from checker.cli.usage import Parser
from checker.config import DEFAULT_BASELINE_TOLERANCE
from checker.reports.outputs import Targets

DESCRIPTION = """\
Prove that a Python web app still serves requests concurrently.

For each server mode in the config, burstcheck boots the app on 127.0.0.1, calibrates, releases
bursts of N simultaneous requests, and estimates the concurrency the server and the app allowed
(from per-request timings inside the server; client-side C = N * L1 / W for command servers). It
fails when that misses the mode's expectation, and says why a mode ran serially.

exit codes: 0 all expectations met, 1 an expectation failed, 2 config or usage error,
            3 could not run (server did not boot, requests failed, the machine could not measure),
            130 interrupted (Ctrl-C), 143 terminated (SIGTERM)
"""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds: {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line's parser; its errors raise UsageError (checker.cli.usage) instead of exiting."""
    parser = Parser(prog="burstcheck", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"burstcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def reporting(command: argparse.ArgumentParser) -> None:
        command.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report to PATH")
        command.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report to PATH")
        command.add_argument(
            "--html", type=Path, metavar="PATH", help="write a self-contained HTML report (timelines included) to PATH"
        )
        command.add_argument(
            "--comment",
            action="store_true",
            help="in GitHub Actions, post the summary as a pull-request comment, edited on the next push"
            " (GITHUB_TOKEN with pull-requests: write)",
        )
        command.add_argument(
            "-v",
            "--timeline",
            action="store_true",
            help="draw every result's burst as a text timeline (failed results always get one)",
        )
        command.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")

    run = sub.add_parser("run", help="check a config", description="Check every mode of a config.")
    run.add_argument(
        "config", nargs="?", type=Path, default=Path("burstcheck.yaml"), help="config file (default: burstcheck.yaml)"
    )
    run.add_argument("--modes", metavar="NAMES", help="comma-separated mode names to check (default: all)")
    run.add_argument(
        "--python",
        metavar="PYTHON",
        help="the interpreter of the app's environment, for every mode (default: python: in the config, "
        "a .venv beside the config, an active virtualenv, burstcheck's own)",
    )
    run.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help="a JSON report of an earlier run (typically main): show each result's change against it, and"
        " with fail_on_regression: true in the config, fail a drop beyond baseline_tolerance",
    )
    run.add_argument(
        "--deadline",
        type=_seconds,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help=f"end the run after this long as 'could not run', reporting what it measured"
        f" (default: {DEFAULT_DEADLINE_S:g}; 0: none)",
    )
    run.add_argument(
        "--quick",
        action="store_true",
        help=f"one burst per mode and {QUICK_CALIBRATION_REQUESTS} calibration requests (pre-commit hook)",
    )
    reporting(run)

    demo = sub.add_parser(
        "demo",
        help="run the bundled demo",
        description="Boot a bundled Flask app in werkzeug's three modes (threaded=False, threaded=True, "
        "processes=4) and burst 10 simultaneous requests at a sleeping endpoint.",
    )
    reporting(demo)

    compare = sub.add_parser(
        "compare",
        help="compare two JSON reports",
        description="Compare two JSON reports (--json) result by result, as --baseline does, without running"
        " anything. Exit 1 when a measured concurrency dropped by more than the tolerance.",
    )
    compare.add_argument("old", type=Path, help="the baseline report (e.g. main's)")
    compare.add_argument("new", type=Path, help="the report to compare with it")
    compare.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_BASELINE_TOLERANCE,
        help=f"a drop of more than this share is a regression (default {DEFAULT_BASELINE_TOLERANCE:g})",
    )

    merge = sub.add_parser(
        "merge",
        help="join the JSON reports of jobs that each ran some modes",
        description="Join the JSON reports of jobs that each checked some modes of one config (a job matrix"
        " with `--modes`) into one report, with every output: console, --json, --junit, --html, and in GitHub"
        " Actions one job summary, annotations and --comment. Exits as one run of all the modes would.",
    )
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="JSON reports (--json) to join")
    reporting(merge)

    init = sub.add_parser(
        "init",
        help="write a starting config for an app",
        description="Write a commented burstcheck.yaml for a WSGI or ASGI app (Flask, FastAPI, Starlette, Quart,"
        " Django, ...): it imports the app under its interpreter, lists its GET routes without parameters and"
        " tries each, bursts the slowest that answers 200, and proposes modes of the servers installed there,"
        " with expectations from pool arithmetic. Beside it, the config's JSON schema for editors. Never"
        " overwrites without --force.",
    )
    init.add_argument(
        "--app",
        required=True,
        help="the app, e.g. myproject.web:app, 'web:create_app()' or mysite.wsgi:application (Django)",
    )
    init.add_argument("--output", type=Path, default=Path("burstcheck.yaml"), help="default: burstcheck.yaml")
    init.add_argument("--python", metavar="PYTHON", help="the app's interpreter (default as for run)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    sub.add_parser("schema", help="print the config's JSON schema", description="Print the config's JSON schema.")
    return parser


def targets(args: argparse.Namespace) -> Targets:
    """The outputs a command was asked for (the options every reporting command shares)."""
    return Targets(
        json_path=args.json,
        junit_path=args.junit,
        html_path=args.html,
        timelines=args.timeline,
        comment=args.comment,
    )
