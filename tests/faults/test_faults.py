"""The fault suite (issue 9): hostile configs, apps, paths and signals, through the command line as CI runs
it. Each case asserts the exit code, the first line of the message, that every report was written, and
(through the autouse guard, and by pid for processes without the token) that nothing was left running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from checker.errors import (
    EXIT_CONFIG_ERROR,
    EXIT_COULD_NOT_RUN,
    EXIT_EXPECTATION_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
)
from tests.conftest import APPS, REPO, burstcheck_argv, measuring, skip_without_tokens, still_running
from tests.integrations.test_action import parse_github_output

pytestmark = pytest.mark.e2e  # runs the command line, boots hostile apps


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None
    junit: ET.Element | None
    summary: str
    outputs: dict[str, str]
    seconds: float

    @property
    def message(self) -> str:
        """The first `burstcheck:` line on stderr: what the user reads first."""
        return next((line for line in self.stderr.splitlines() if line.startswith("burstcheck: ")), "")


def cli(
    tmp_path: Path, config: str | None, *args: str, env: dict[str, str] | None = None, timeout_s: float = 120
) -> Outcome:
    """Run `burstcheck run` with every report asked for, as the Action does, and read them all back."""
    path = tmp_path / "burstcheck.yaml"
    if config is not None:
        path.write_text(config.replace("APPS", str(APPS)), encoding="utf-8")
    report, junit = tmp_path / "out" / "report.json", tmp_path / "out" / "junit.xml"
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    argv = burstcheck_argv("run", str(path), "--json", str(report), "--junit", str(junit), *args)
    started = time.monotonic()
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout_s, cwd=REPO, env={**os.environ, **github, **(env or {})}
    )
    return Outcome(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        report=json.loads(report.read_text()) if report.exists() else None,
        junit=ET.parse(junit).getroot() if junit.exists() else None,
        summary=summary.read_text() if summary.exists() else "",
        outputs=parse_github_output(output.read_text()) if output.exists() else {},
        seconds=time.monotonic() - started,
    )


def assert_reported(outcome: Outcome, verdict: str) -> None:
    """Every output was written and says `verdict`; nothing printed a traceback."""
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome.stderr
    assert outcome.report is not None and outcome.report["verdict"] == verdict, outcome.stderr
    assert outcome.junit is not None  # and it parsed: valid XML
    assert outcome.summary.startswith("## burstcheck:"), outcome.summary
    assert outcome.outputs["verdict"] == verdict


HEAD = "app: hostile:app\napp_dir: APPS\nboot_timeout: 10\nburst: {requests: 4, repeats: 1, calibration_requests: 2}\n"
THREADED = "modes: [{name: threaded, threaded: true, expect: concurrent}]\n"


# Configs that crashed with a traceback and exit 1 before issue 9: now exit 2 at load, with every report.
@pytest.mark.parametrize(
    ("config", "first_line"),
    [
        (HEAD + 'endpoints: [{path: /ok, headers: {X: "a\\r\\nB: c"}}]\n' + THREADED, "invalid config"),
        (HEAD + "endpoints: [{path: /ok, headers: {X: 日本}}]\n" + THREADED, "invalid config"),
        ("a: &a [*a]\n", "invalid config"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "invalid config"),
        (HEAD + 'app_dir: "x\\0"\nendpoints: [{path: /ok}]\n' + THREADED, "invalid config"),
        (HEAD.replace("requests: 4", "requests: 1:30") + "endpoints: [{path: /ok}]\n" + THREADED, "invalid config"),
        (
            HEAD + "endpoints: [{path: /ok}]\nmodes: [{name: c, server: command, command: '{port:>2000000000} {port}',"
            " expect: concurrent}]\n",
            "invalid config",
        ),
        (HEAD + "endpoints: [{path: /ok}]\nmodes: [{name: x, server: nginx, expect: concurrent}]\n", "invalid config"),
    ],
    ids=[
        "header-crlf",
        "header-non-latin1",
        "self-alias",
        "deep",
        "app-dir-nul",
        "sexagesimal",
        "format-spec",
        "server",
    ],
)
def test_a_bad_config_exits_2_with_every_report(tmp_path: Path, config: str, first_line: str) -> None:
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_CONFIG_ERROR, outcome.stderr
    assert outcome.message.startswith(f"burstcheck: {first_line}"), outcome.stderr
    assert_reported(outcome, "error")
    assert outcome.report is not None and outcome.report["ending"] == "config_error"
    assert "::error file=" in outcome.stdout  # annotated at its line
    assert outcome.seconds < 30


def test_a_missing_config_file_is_reported_too(tmp_path: Path) -> None:
    outcome = cli(tmp_path, None)
    assert outcome.returncode == EXIT_CONFIG_ERROR
    assert outcome.message.startswith("burstcheck: config file not found")
    assert_reported(outcome, "error")


def test_a_newline_in_a_path_cannot_forge_a_step_output(tmp_path: Path) -> None:
    outcome = cli(tmp_path, None, "--json", str(tmp_path / "x\nverdict=pass"))
    assert outcome.outputs["verdict"] == "error"
    assert outcome.outputs["report"] == str(tmp_path / "x\nverdict=pass")  # one value, newline and all


def test_a_report_that_cannot_be_written_never_hides_the_verdict(tmp_path: Path) -> None:
    outcome = cli(tmp_path, "a: &a [*a]\n", "--json", "/dev/full")
    assert outcome.returncode == EXIT_CONFIG_ERROR  # not turned into anything else
    assert "cannot write the JSON report to /dev/full" in outcome.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    summary = blocked / "summary.md"  # its folder cannot be made
    outcome = cli(tmp_path, "a: &a [*a]\n", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert outcome.returncode == EXIT_CONFIG_ERROR and "cannot write the job summary" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_help_lists_every_exit_code() -> None:
    shown = subprocess.run(burstcheck_argv("--help"), capture_output=True, text=True, timeout=60).stdout
    for code in ("0 all expectations met", "1 an expectation failed", "2 config", "3 could not run", "130", "143"):
        assert code in shown


# --- faults that need a running server -----------------------------------------------------------------


def test_a_command_that_does_not_exist_could_not_run(tmp_path: Path) -> None:
    config = HEAD + "endpoints: [{path: /ok}]\nmodes: [{name: c, server: command, command: 'no-such-binary --port"
    config += " {port}', expect: concurrent}]\n"
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_COULD_NOT_RUN
    assert_reported(outcome, "error")
    assert "cannot start 'no-such-binary': No such file or directory" in outcome.stdout + outcome.stderr


@pytest.mark.parametrize("path", ["/stream", "'/gzip-lie?ms=200'"])
def test_a_first_endpoint_that_streams_or_lies_about_its_encoding_still_boots(tmp_path: Path, path: str) -> None:
    """The readiness probe reads the status line, never the body: neither hangs it nor fails it."""
    config = HEAD.replace("boot_timeout: 10", "boot_timeout: 3") + f"endpoints: [{{path: {path}}}]\n"
    config = config.replace("requests: 4,", "requests: 4, timeout: 2,") + THREADED
    outcome = cli(tmp_path, config)
    if "gzip" in path:  # bodies are counted, not decoded: it is measured like any endpoint
        assert outcome.returncode == EXIT_OK, outcome.stdout
        assert_reported(outcome, "pass")
    else:  # the body never ends: its first request times out, and measuring the endpoint stops there
        assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stdout
        assert_reported(outcome, "error")
        assert "the warm-up got no complete answer within burst.timeout (2 s)" in outcome.stdout
        assert outcome.seconds < 40


def test_a_body_cut_short_is_a_failed_request(tmp_path: Path) -> None:
    outcome = cli(tmp_path, HEAD + "endpoints: [{path: /cut}]\n" + THREADED)
    assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stdout
    assert_reported(outcome, "error")
    assert "requests failed; first:" in outcome.stdout


def test_a_hanging_handler_costs_one_timeout_and_the_other_endpoints_are_measured(tmp_path: Path) -> None:
    config = (
        HEAD.replace("requests: 4,", "requests: 4, timeout: 2,") + "endpoints: [{path: '/ok?ms=200'}, {path: /hang}]\n"
    )
    outcome = cli(tmp_path, config + THREADED)
    assert outcome.returncode == EXIT_COULD_NOT_RUN
    assert outcome.report is not None
    ok, hang = outcome.report["results"]
    assert hang["verdict"] == "error" and "no complete answer within burst.timeout (2 s)" in hang["reason"]
    assert ok["verdict"] == "pass"
    assert outcome.seconds < 45  # not 9 x timeout per endpoint


def test_the_run_deadline_ends_the_run_with_its_reports(tmp_path: Path) -> None:
    config = HEAD.replace("repeats: 1", "repeats: 3") + "endpoints: [{path: '/ok?ms=300'}]\n"
    config += "modes:\n" + "".join(f"  - {{name: m{i}, threaded: true, expect: concurrent}}\n" for i in range(4))
    outcome = cli(tmp_path, config, "--deadline", "4")
    assert outcome.returncode == EXIT_COULD_NOT_RUN
    assert outcome.message.startswith("burstcheck: the run's deadline (4 s, --deadline) passed")
    assert_reported(outcome, "error")
    assert outcome.report is not None and outcome.report["ending"] == "deadline"
    reasons = [r["reason"] for r in outcome.report["results"]]
    assert len(reasons) == 4 and reasons[-1].startswith("not measured: the run's deadline")
    assert outcome.seconds < 30


def test_method_headers_and_body_reach_the_server_as_configured(tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    config = HEAD + f"env: {{RECORD_FILE: '{record}'}}\n"
    config += (
        "endpoints: [{path: '/record?ms=200', method: PUT, headers: {X-Token: 'abc 1'}, body: 'héllo'}]\n" + THREADED
    )
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_OK, outcome.stdout
    seen = [json.loads(line) for line in record.read_text().splitlines()]
    # probe + a warm-up burst of 4 + 2 calibration + 4 in the burst
    assert len(seen) == 11
    assert all(s == {"method": "PUT", "headers": {"X_TOKEN": "abc 1"}, "body": "héllo"} for s in seen), seen


@pytest.mark.timeout(300)
def test_large_bodies_are_counted_not_kept(tmp_path: Path) -> None:
    config = HEAD.replace("requests: 4, repeats: 1", "requests: 20, repeats: 1")
    config += "endpoints: [{path: '/big?mb=20&ms=200'}]\n" + THREADED
    outcome = cli(tmp_path, config, timeout_s=240)
    assert outcome.report is not None, outcome.stderr
    assert outcome.report["client_peak_rss_kib"] < 200 * 1024  # 20 x 20 MiB went through it
    sizes = {r["body_bytes"] for r in outcome.report["results"][0]["attempts"][-1]["bursts"][0]["requests"]}
    assert sizes == {20 << 20}


def test_control_characters_cannot_break_junit_or_forge_log_lines(tmp_path: Path) -> None:
    # A server that prints colours and a carriage return, then never answers: its output is the reason.
    noisy = tmp_path / "noisy.py"
    noisy.write_text("import time\nprint('\\x1b[31mred\\r::error::forged', flush=True)\ntime.sleep(60)\n")
    config = HEAD.replace("boot_timeout: 10", "boot_timeout: 2") + "endpoints: [{path: /ok}]\n"
    config += f"modes: [{{name: c, server: command, command: '{{python}} {noisy} {{port}}', expect: concurrent}}]\n"
    outcome = cli(tmp_path, config)
    assert outcome.returncode == EXIT_COULD_NOT_RUN, outcome.stderr
    assert_reported(outcome, "error")  # the JUnit file parsed
    assert "\x1b" not in outcome.stdout + outcome.stderr and "\r" not in outcome.stdout + outcome.stderr
    assert "\\x1b[31mred\\r::error::forged" in outcome.stdout
    assert not any(line.lstrip().startswith("::error::forged") for line in outcome.stdout.splitlines())


def test_a_daemon_with_an_empty_environment_does_not_survive_a_run(tmp_path: Path, process_path: str) -> None:
    """On the portable path the daemon keeps its environment: there, only its token can find it (docs/cli.md)."""
    skip_without_tokens(process_path)
    pid_file = tmp_path / "daemons"
    keeps = "1" if process_path == "portable" else "0"
    config = HEAD.replace("hostile:app", "daemonizing:app")
    config += f"env: {{DAEMON_PID_FILE: '{pid_file}', DAEMON_KEEPS_ENV: '{keeps}'}}\n"
    outcome = cli(tmp_path, config + "endpoints: [{path: '/?seconds=0.05'}]\n" + THREADED)
    assert outcome.returncode == EXIT_OK, outcome.stdout
    daemons = [int(pid) for pid in pid_file.read_text().split()]
    assert daemons and not still_running(daemons, 0.5)


def test_a_storm_of_ctrl_c_ends_as_interrupted_with_reports(tmp_path: Path, process_path: str) -> None:
    config = HEAD.replace("hostile:app", "stubborn:app").replace("repeats: 1", "repeats: 5")
    config += "endpoints: [{path: '/?seconds=1'}]\n" + THREADED.replace("concurrent", "serialized")
    (tmp_path / "burstcheck.yaml").write_text(config.replace("APPS", str(APPS)))
    report = tmp_path / "report.json"
    argv = burstcheck_argv("run", str(tmp_path / "burstcheck.yaml"), "--json", str(report))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not measuring() and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(4):  # within 100 ms, while the server that ignores SIGTERM is being measured
            proc.send_signal(signal.SIGINT)
            time.sleep(0.025)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "servers stopped" in err
    assert json.loads(report.read_text())["verdict"] == "interrupted"


def test_a_measured_fail_is_exit_1_even_when_the_report_cannot_be_written(tmp_path: Path) -> None:
    config = "app: locked:app\napp_dir: APPS\nburst: {requests: 4, repeats: 1, calibration_requests: 2}\n"
    config += "endpoints: [{path: '/?seconds=0.1'}]\n" + THREADED
    outcome = cli(tmp_path, config, "--json", "/dev/full")
    assert outcome.returncode == EXIT_EXPECTATION_FAILED, outcome.stdout
    assert "cannot write the JSON report" in outcome.stderr


def test_a_newline_in_the_config_path_cannot_forge_a_log_line(tmp_path: Path) -> None:
    folder = tmp_path / "x\n::error::forged"
    folder.mkdir()
    (folder / "burstcheck.yaml").write_text("a: &a [*a]\n")
    done = subprocess.run(
        burstcheck_argv("run", str(folder / "burstcheck.yaml")), capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == EXIT_CONFIG_ERROR
    lines = (done.stdout + done.stderr).splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::error::forged")], lines
    assert "x\\n::error::forged" in done.stderr


def test_a_renderer_that_breaks_costs_only_its_own_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from checker.reports import html_report
    from checker.reports.outputs import Targets, write_all
    from tests.reports.test_reports import report

    def broken(report: object) -> str:
        raise KeyError("a bug")

    monkeypatch.setattr(html_report, "render", broken)
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    targets = Targets(json_path=tmp_path / "r.json", junit_path=tmp_path / "j.xml", html_path=tmp_path / "r.html")
    failed = write_all(report(), targets, environ={})
    assert len(failed) == 1 and failed[0].startswith("cannot render the HTML report: internal error")
    assert (tmp_path / "r.json").exists() and (tmp_path / "j.xml").exists() and not (tmp_path / "r.html").exists()
    assert "FAIL locked GET /slow" in capsys.readouterr().out
