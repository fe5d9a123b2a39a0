"""The program's entry point (the `burstcheck` script and `python -m checker`): parse, dispatch to a command,
and the one error handler at the top. Ctrl-C and SIGTERM are handled from the first moment: arriving while
the modules below are still being imported, they end the program with 130/143 and one line, not a
KeyboardInterrupt traceback."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

EXIT_INTERRUPTED = 130  # as in checker.errors, which is not imported yet
EXIT_TERMINATED = 143


def _stop_early(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the rest of a storm of Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("burstcheck: interrupted before it started", file=sys.stderr)
    raise SystemExit(EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED)


def _stop(signum: int, frame: FrameType | None) -> None:
    """The first Ctrl-C or SIGTERM stops the run; later ones (a storm of Ctrl-C, a CI runner's SIGINT then
    SIGTERM) are ignored, so that they cannot cut the teardown or the reports short."""
    from checker.errors import Terminated

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, _stop_early)
    signal.signal(signal.SIGTERM, _stop_early)
    from checker.cli.parser import parser
    from checker.cli.usage import UsageError, report_usage_error
    from checker.endings import caught
    from checker.safe_text import printable

    top = parser()
    try:
        args = top.parse_args(argv)
    except UsageError as error:  # still writes the reports the command line asked for
        return report_usage_error(sys.argv[1:] if argv is None else list(argv), top, error)
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        # The one error handler: a command that writes reports (run, demo, merge) catches its own ending
        # to write them first; whatever reaches here is printed as one line and mapped to its exit code.
        with caught() as outcome:
            return _dispatch(args)
        assert outcome.ended is not None
        print(f"burstcheck: {printable(outcome.ended.problem)}", file=sys.stderr)
        return outcome.ended.exit_code
    finally:
        # After a stop, the rest of a storm of Ctrl-C must still find them ignored on the way out.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _dispatch(args: argparse.Namespace) -> int:
    from checker.cli.commands import compare, demo, init, merge, run, schema
    from checker.cli.parser import targets

    if args.command == "run":
        return run.run(
            args.config,
            modes=[m.strip() for m in args.modes.split(",") if m.strip()] if args.modes else None,
            targets=targets(args),
            quiet=args.quiet,
            is_quick=args.quick,
            python=args.python,
            deadline_s=args.deadline or None,
            baseline_path=args.baseline,
        )
    if args.command == "merge":
        return merge.merge(args.reports, targets(args))
    if args.command == "init":
        return init.init(args.app, args.output, force=args.force, python=args.python)
    if args.command == "compare":
        return compare.compare_reports(args.old, args.new, args.tolerance)
    if args.command == "demo":
        return demo.demo(targets=targets(args), quiet=args.quiet)
    return schema.schema()


if __name__ == "__main__":
    sys.exit(main())
