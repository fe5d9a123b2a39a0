"""The fault suite's servers (issue 19, items 9-12): an app that fails binding a port of its own, a server that
dies of a signal (booting or mid-measure), an app that floods its output, a target that is not there - each
reported as what it is, in one line where one line says it all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.config import Endpoint, WerkzeugMode
from checker.errors import EXIT_COULD_NOT_RUN, RunError
from checker.run.server import running_server
from tests.conftest import APPS
from tests.faults.test_faults import assert_reported, cli

pytestmark = pytest.mark.e2e  # boots real servers

PROBE = Endpoint(path="/ok")
THREADED = "modes: [{name: threaded, threaded: true, expect: concurrent}]\n"
BURST = "burst: {requests: 4, repeats: 1, calibration_requests: 2}\nboot_timeout: 10\n"


def mode(**fields: object) -> WerkzeugMode:
    return WerkzeugMode.model_validate({"name": "m", "expect": "concurrent", "threaded": True, **fields})


def boot_error(app: str, env: dict[str, str] | None = None) -> str:
    """The message of a server that does not boot."""
    with pytest.raises(RunError) as caught:
        with running_server(mode(), app=app, app_dir=APPS, probe=PROBE, boot_timeout_s=20, env=env):
            pytest.fail("must not get ready")
    return str(caught.value)


def test_an_app_that_fails_binding_its_own_port_shows_its_traceback_once(taken_port: int, tmp_path: Path) -> None:
    """Item 9: only burstcheck's own port is retried; the app's own bind failure is the app's error."""
    imports = tmp_path / "imports"
    message = boot_error("crashing:app", {"OWN_PORT": str(taken_port), "IMPORT_LOG": str(imports)})
    assert "no free port" not in message, message
    assert message.startswith("mode 'm': could not import the app 'crashing:app': OSError: [Errno"), message
    assert "Address already in use" in message
    assert message.count("Traceback") == 1, message
    assert len(imports.read_text().split()) == 1  # booted once, not three times


def test_a_server_killed_by_a_signal_while_booting_names_it() -> None:
    """Item 10, while booting."""
    message = boot_error("crashing:app", {"CRASH_AT_IMPORT": "segv"})
    assert "the server was killed by SIGSEGV (it crashed)" in message, message


@pytest.mark.parametrize(
    ("path", "said"),
    [("/segv", "the server was killed by SIGSEGV (it crashed)"), ("/exit", "the server exited with status 7")],
)
def test_a_server_that_dies_while_measured_names_how(tmp_path: Path, path: str, said: str) -> None:
    """Item 10, mid-measure: not "Connection refused"."""
    endpoints = f"endpoints: [{{path: '/ok?ms=100'}}, {{path: {path}}}]\n"
    config = f"app: crashing:app\napp_dir: APPS\n{BURST}{endpoints}{THREADED}"
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stdout
    assert_reported(outcome, "error")
    assert outcome.report is not None
    ok, crashed = outcome.report["results"]
    assert ok["verdict"] == "pass", ok["reason"]
    assert crashed["reason"].startswith(f"mode 'threaded': {said} while measuring GET {path}"), crashed["reason"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="looks for hidden files through /proc")
def test_a_chatty_apps_output_is_kept_by_its_end_only() -> None:
    """Item 11: 20 MiB of log lines at import cost no disk and no memory; their end is still quoted."""

    def open_file_sizes() -> list[int]:
        sizes = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                stat = os.stat(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if stat.st_mode & 0o170000 == 0o100000:  # a regular file (a hidden temporary one included)
                sizes.append(stat.st_size)
        return sizes

    chatty = {"CHATTER_MB": "20"}
    with running_server(mode(), app="crashing:app", app_dir=APPS, probe=PROBE, boot_timeout_s=60, env=chatty):
        assert max(open_file_sizes(), default=0) < 1 << 20
    message = boot_error("crashing:app", {**chatty, "CRASH_AT_IMPORT": "segv"})
    assert "chatty app: the last line" in message


def test_a_target_that_is_not_there_is_one_line_naming_it(tmp_path: Path) -> None:
    """Item 12: the module, the attribute, the factory - one line, no traceback through burstcheck's code."""
    for app, said in [
        ("nonexistent:app", "no module named 'nonexistent'"),
        ("crashing:ap", "module 'crashing' has no attribute 'ap'"),
        ("crashing:returns_none()", "the factory crashing:returns_none() returned None, not an app"),
    ]:
        message = boot_error(app)
        assert message.startswith(f"mode 'm': could not import the app {app!r}: {said}"), message
        assert "\n" not in message and "Traceback" not in message, message
        # Under burstcheck's own interpreter a missing module most likely means the app lives elsewhere.
        assert ("burstcheck's own interpreter" in message and "--python" in message) == (app == "nonexistent:app")


def test_an_app_that_raises_shows_its_own_traceback_only(tmp_path: Path) -> None:
    """Item 12: where the app's own code raised (its import, its factory), the traceback helps: it is shown,
    from the app's first frame, without burstcheck's."""
    for app, said, frame in [
        (
            "broken:app",
            "could not import the app 'broken:app': RuntimeError: database URL is not configured",
            "broken.py",
        ),
        (
            "crashing:raises()",
            "the factory crashing:raises() raised ValueError: DATABASE_URL is not set",
            "crashing.py",
        ),
    ]:
        message = boot_error(app)
        assert message.splitlines()[0] == f"mode 'm': {said}:", message
        assert frame in message and "Traceback" in message
        assert "target.py" not in message and "main.py" not in message and "importlib" not in message, message


def test_a_typo_in_app_reads_as_one_line_on_the_console(tmp_path: Path) -> None:
    outcome = cli(tmp_path, f"app: nonexistent:app\napp_dir: APPS\n{BURST}endpoints: [{{path: /ok}}]\n{THREADED}")
    assert outcome.returncode == EXIT_COULD_NOT_RUN
    assert_reported(outcome, "error")
    assert "ERROR threaded GET /ok: mode 'threaded': could not import the app 'nonexistent:app': no module" in (
        outcome.stdout
    )
    assert "Traceback" not in outcome.stdout
