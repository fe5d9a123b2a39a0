"""Text from outside (paths, server output, exception messages) made safe to print or embed: a control
character must not forge a log line, break an XML report, or recolour a terminal, and a bidirectional override
must not reorder what a reader sees."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline (a carriage return rewrites a log line too); the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "evil\u202etxt.exe" shows as
# "evilexe.txt"); and what XML 1.0 cannot hold beyond those: surrogates (undecodable bytes) and U+FFFE/U+FFFF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # e.g. \r, \x1b, \u202e


def printable(text: str) -> str:
    """Control characters, bidirectional overrides and what XML cannot hold escaped as \\r, \\x1b, \\u202e...;
    newlines and tabs kept."""
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """For values that are one line by nature (paths, names): newlines escaped as well."""
    return printable(text).replace("\n", "\\n")


def quoted_tail(output: bytes, lines: int, empty: str) -> str:
    """The last `lines` lines of a child's output, quoted as `    | line`: the bar keeps a line the child
    printed from reading as a workflow command (GitHub ignores leading spaces, not the bar), and a carriage
    return stays inside its line, escaped, instead of starting a new one."""
    text = output.decode(errors="replace").rstrip()
    shown = [f"    | {printable(line)}" for line in text.split("\n")[-lines:]] if text else []
    return "\n".join(shown) or f"    ({empty})"
