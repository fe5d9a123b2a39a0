"""Progress on stderr: a live line that redraws in place on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from checker.reports.progress import CLEAR_LINE, Progress


def test_on_a_terminal_the_status_redraws_in_place_below_the_lines_that_stay() -> None:
    out = io.StringIO()
    shown = Progress(out, live=True)
    shown.line("[1/2] threaded (werkzeug threaded=True): starting the server")
    shown.status("[1/2] threaded GET /slow: burst 2 of 3 (10 requests)")
    shown.line("      GET /slow: pass - measured 10.0")
    shown.close()
    text = out.getvalue()
    assert text.count("\n") == 2  # only the lines that stay end a line
    assert f"{CLEAR_LINE}[1/2] threaded GET /slow: burst 2 of 3 (10 requests) · " in text
    assert f"{CLEAR_LINE}      GET /slow: pass - measured 10.0\n" in text  # the live line cleared first
    assert text.endswith(CLEAR_LINE)  # nothing left under the report


def test_in_a_log_only_plain_lines_are_written() -> None:
    out = io.StringIO()
    shown = Progress(out, live=False)
    shown.line("[1/1] serial: starting the server")
    shown.status("[1/1] serial GET /slow: burst 1 of 3")
    shown.close()
    assert out.getvalue() == "[1/1] serial: starting the server\n"


def test_quiet_writes_nothing() -> None:
    out = io.StringIO()
    shown = Progress(out, quiet=True, live=True)
    shown.line("x")
    shown.status("y")
    shown.close()
    assert out.getvalue() == ""
