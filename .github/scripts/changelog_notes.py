"""Print the changelog's section for a release tag: the GitHub release's notes.

    python .github/scripts/changelog_notes.py v1.2.3 [--changelog CHANGELOG.md] > notes.md

The release workflow runs this before it builds anything, so a release whose version has no dated, non-empty
section in CHANGELOG.md (Keep a Changelog form: `## [1.2.3] - 2026-11-30`) stops before it is published."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path

from release_tag import ReleaseError, parse

# `## [1.2.3] - 2026-11-30`, `## [Unreleased]`: a version's heading, with its date once released.
HEADING = re.compile(r"## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*")
# `[1.2.3]: https://...`: the link definitions at the end of the file belong to no section's text.
LINK_DEFINITION = re.compile(r"\[[^\]]+\]: \S+\s*")
# A line that goes on the line before it: wrapped text, not a heading, list item, quote, table or fence.
CONTINUATION = re.compile(r" *(?![-*+>#|]|[0-9]+\. )\S")


def unwrap(lines: list[str]) -> list[str]:
    """Join lines wrapped for the file's width: GitHub shows each newline of release notes as a line break."""
    joined: list[str] = []
    in_code = False
    for line in lines:
        starts_code = line.lstrip().startswith("```")
        if joined and joined[-1].strip() and not in_code and not starts_code and CONTINUATION.match(line):
            joined[-1] = f"{joined[-1]} {line.strip()}"
        else:
            joined.append(line)
        in_code ^= starts_code
    return joined


def section(changelog: str, version: str) -> str:
    """The notes under `version`'s heading, up to the next `## ` heading, without link definitions."""
    lines = changelog.splitlines()
    starts = [(number, HEADING.fullmatch(line)) for number, line in enumerate(lines) if line.startswith("## ")]
    for index, (number, heading) in enumerate(starts):
        if heading is None or heading["version"] != version:
            continue
        if heading["date"] is None:
            raise ReleaseError(f"CHANGELOG.md: {version} has no date: write its heading `## [{version}] - YYYY-MM-DD`")
        try:
            datetime.date.fromisoformat(heading["date"])
        except ValueError:
            raise ReleaseError(f"CHANGELOG.md: {heading['date']!r} is not a date (YYYY-MM-DD)") from None
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        body = [line for line in lines[number + 1 : end] if not LINK_DEFINITION.fullmatch(line)]
        notes = "\n".join(unwrap(body)).strip()
        if not notes:
            raise ReleaseError(f"CHANGELOG.md: the section of {version} is empty: say what changed")
        return notes + "\n"
    raise ReleaseError(
        f"CHANGELOG.md has no section for {version}: move the Unreleased entries under `## [{version}] - YYYY-MM-DD`"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, e.g. v1.2.3")
    parser.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"))
    args = parser.parse_args(argv)
    try:
        notes = section(args.changelog.read_text(encoding="utf-8"), parse(args.tag).version)
    except (ReleaseError, OSError) as error:
        print(f"::error title=changelog::{error}", file=sys.stderr)
        return 1
    sys.stdout.write(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
