"""The fault suite's hostile text (issue 19, item 8): whatever an app prints or a config names - characters XML
1.0 forbids, bidirectional overrides that reorder a line on screen, an `@name` that GitHub would turn into a
notification - every report stays valid and shows it inert."""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from checker.reports import console, github, junit, pr_comment
from checker.results import RunReport
from tests.conftest import APPS, REPO, burstcheck_argv
from tests.reports.test_reports import report

# What XML 1.0 cannot hold (besides C0 controls): U+FFFE, U+FFFF and lone surrogates (from undecodable bytes).
NOT_XML = "\ufffe\uffff\ud800"
# Bidirectional overrides and isolates: "evil\u202etxt.exe" reads as "evilexe.txt" on screen.
BIDI = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# GitHub links (and notifies) @name in a comment's text, except inside code: what a mention looks like.
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*")


def mentions(markdown: str) -> list[str]:
    """@names GitHub would notify: outside fenced blocks and <code> (which its mention filter skips)."""
    text = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1\s*$", "", markdown)
    text = re.sub(r"(?s)<code>.*?</code>", "", text)
    return MENTION.findall(text)


def hostile() -> RunReport:
    base = report()
    first, *rest = base.results
    hostile_result = replace(
        first,
        mode=f"m{BIDI}",
        endpoint="GET /users/@octocat",
        reason=f"the server said {NOT_XML} and {BIDI} to @octocat and @acme/team",
        diagnosis=f"why {BIDI}",
    )
    return replace(base, results=(hostile_result, *rest), problem=f"ended {NOT_XML}{BIDI} @octocat", ending="deadline")


def test_junit_stays_valid_xml_for_any_text() -> None:
    text = junit.render(hostile())
    root = ET.fromstring(text.encode("utf-8"))  # as it is written: UTF-8, then parsed by a CI system
    assert root.get("tests") == "4"
    assert "\\ufffe" in text and "\\ud800" in text  # shown, escaped


def test_bidirectional_overrides_are_escaped_in_console_summary_and_annotations() -> None:
    shown = [
        console.render(hostile()),
        github.summary_markdown(hostile()),
        "\n".join(github.failure_annotations(hostile(), "burstcheck.yaml")),
    ]
    for text in shown:
        assert not set(text) & set(BIDI + NOT_XML), repr(text)
    assert "\\u202e" in shown[0]


def test_an_at_name_cannot_notify_anyone_from_the_summary_or_the_comment() -> None:
    summary = github.summary_markdown(hostile())
    assert not mentions(summary), mentions(summary)
    assert not mentions(pr_comment.body(summary))
    assert "octocat" in summary  # still shown


@pytest.mark.e2e
def test_a_server_printing_them_leaves_every_report_valid(tmp_path: Path) -> None:
    noisy = tmp_path / "noisy.py"
    noisy.write_text(
        "import sys, time\n"
        "sys.stdout.buffer.write('\\ufffe\\uffff \\u202eevil @octocat\\n'.encode() + b'\\xed\\xa0\\x80\\n')\n"
        "sys.stdout.flush()\ntime.sleep(60)\n"
    )
    config = tmp_path / "burstcheck.yaml"
    config.write_text(
        f"app: hostile:app\napp_dir: {APPS}\nboot_timeout: 2\nendpoints: [{{path: /ok}}]\n"
        f"modes: [{{name: c, server: command, command: '{{python}} {noisy} {{port}}', expect: concurrent}}]\n"
    )
    summary, junit_path = tmp_path / "summary.md", tmp_path / "junit.xml"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(
        burstcheck_argv("run", str(config), "--junit", str(junit_path)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 3, done.stderr
    assert ET.parse(junit_path).getroot().get("errors") == "1"
    for text in (done.stdout, done.stderr, summary.read_text()):
        assert not set(text) & set(BIDI + "\ufffe\uffff"), repr(text)
    assert "\\u202eevil" in done.stdout
    assert not mentions(summary.read_text())
