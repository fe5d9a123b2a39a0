"""The fault suite's interpreter cases (issue 19, items 4 and 6): the check of the app's interpreter is isolated
from the app's modules, and a `python:` that is not Python is that mode's error, with what it printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.errors import EXIT_COULD_NOT_RUN, EXIT_OK
from tests.conftest import APPS, REPO
from tests.faults.test_faults import assert_reported, cli

pytestmark = pytest.mark.e2e  # runs the command line, boots servers

BURST = "burst: {requests: 4, repeats: 1, calibration_requests: 1}\nendpoints: [{path: '/?seconds=0.05'}]\n"

# What pyenv's shim prints for a version that is not installed: its last line alone says nothing.
PYENV_SHIM = """#!/bin/sh
echo "pyenv: python3.12: command not found" >&2
echo "" >&2
echo "The \\`python3.12' command exists in these Python versions:" >&2
echo "  3.12.1" >&2
echo "" >&2
echo "Note: See 'pyenv help global' for tips on allowing both" >&2
echo "      python2 and python3 to be found." >&2
exit 127
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_a_json_module_in_the_app_folder_does_not_break_the_check(tmp_path: Path) -> None:
    """Item 4: the interpreter check imports its own json, not the app folder's."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(APPS / "sleepy.py", app_dir / "sleepy.py")
    (app_dir / "json.py").write_text('"""The app\'s own module that happens to be called json."""\nVALUE = 1\n')
    config = f"app: sleepy:app\napp_dir: {app_dir}\n" + BURST
    outcome = cli(tmp_path, config + "modes: [{name: threaded, threaded: true, expect: concurrent}]\n")
    assert outcome.returncode == EXIT_OK, outcome.stdout + outcome.stderr
    assert_reported(outcome, "pass")


def test_a_python_that_is_not_python_is_that_modes_error(tmp_path: Path) -> None:
    """Item 6: /bin/true, a wrapper that echoes, a pyenv shim: each is its mode's error naming the interpreter
    and quoting what it printed; the other mode is measured; no internal error."""
    echoes = executable(tmp_path / "echoes", "#!/bin/sh\necho 'hello from a wrapper'\n")
    shim = executable(tmp_path / "python3.12", PYENV_SHIM)
    modes = [("bin-true", "/bin/true"), ("echoes", str(echoes)), ("shim", str(shim))]
    config = "app: sleepy:app\napp_dir: APPS\n" + BURST + "modes:\n"
    config += "".join(
        f"  - {{name: {name}, python: '{path}', threaded: true, expect: concurrent}}\n" for name, path in modes
    )
    config += "  - {name: fine, threaded: true, expect: concurrent}\n"
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stdout + outcome.stderr
    assert_reported(outcome, "error")
    assert "internal error" not in outcome.stdout + outcome.stderr
    assert outcome.report is not None
    results = {r["mode"]: r for r in outcome.report["results"]}
    assert results["fine"]["verdict"] == "pass"
    for name, path in modes:
        assert results[name]["verdict"] == "error"
        assert path in results[name]["reason"], results[name]["reason"]
    assert "is not a Python interpreter" in results["bin-true"]["reason"]
    assert "printed nothing" in results["bin-true"]["reason"]
    assert "hello from a wrapper" in results["echoes"]["reason"]
    shim_reason = results["shim"]["reason"]
    assert "exited with status 127" in shim_reason
    assert "pyenv: python3.12: command not found" in shim_reason and "3.12.1" in shim_reason, shim_reason


def test_the_interpreter_tests_hold_when_pytest_runs_through_a_relative_path() -> None:
    """Item 17: started as ../.venv/bin/python from tests/, sys.executable is absolute but not normalized."""
    relative = os.path.relpath(sys.executable, REPO / "tests")  # ../.venv/bin/python
    test = "config/test_interpreter.py::test_the_command_line_wins"
    done = subprocess.run(
        [relative, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(REPO), test],
        cwd=REPO / "tests",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
