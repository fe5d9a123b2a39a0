"""Command line: parse arguments, dispatch to checker.commands, map errors to exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from checker import __version__, commands
from checker.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, ConfigError, FatalError, Terminated

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="burstcheck", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"burstcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def reporting(command: argparse.ArgumentParser) -> None:
        command.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report to PATH")
        command.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report to PATH")
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
        "--quick",
        action="store_true",
        help=f"one burst per mode and {commands.QUICK_CALIBRATION_REQUESTS} calibration requests (pre-commit hook)",
    )
    reporting(run)

    demo = sub.add_parser(
        "demo",
        help="run the bundled demo",
        description="Boot a bundled Flask app in werkzeug's three modes (threaded=False, threaded=True, "
        "processes=4) and burst 10 simultaneous requests at a sleeping endpoint.",
    )
    reporting(demo)

    sub.add_parser("schema", help="print the config's JSON schema", description="Print the config's JSON schema.")
    return parser


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so every server is stopped on the way out.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if args.command == "run":
            modes = [m.strip() for m in args.modes.split(",") if m.strip()] if args.modes else None
            return commands.run(
                args.config,
                modes=modes,
                json_path=args.json,
                junit_path=args.junit,
                quiet=args.quiet,
                is_quick=args.quick,
                python=args.python,
            )
        if args.command == "demo":
            return commands.demo(json_path=args.json, junit_path=args.junit, quiet=args.quiet)
        return commands.schema()
    except FatalError as exc:
        if isinstance(exc, ConfigError):
            for line in commands.config_error_annotations(exc):
                print(line, flush=True)
        print(f"burstcheck: {exc}", file=sys.stderr)
        return exc.return_code
    except KeyboardInterrupt:
        print("burstcheck: interrupted; servers stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("burstcheck: terminated; servers stopped", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
