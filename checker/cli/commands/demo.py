"""`burstcheck demo`: the classic experiment, bundled: one sleeping endpoint, 10 simultaneous requests,
werkzeug's three modes."""

from __future__ import annotations

from importlib import resources

from checker.cli.commands.run import run
from checker.config.interpreter import own
from checker.reports.outputs import Targets


def demo(*, targets: Targets, quiet: bool = False) -> int:
    config = resources.files("checker.demo").joinpath("burstcheck.yaml")
    with resources.as_file(config) as path:
        # The demo app ships inside burstcheck: it runs in burstcheck's own environment, whatever is active.
        return run(path, modes=None, targets=targets, quiet=quiet, python=own())
