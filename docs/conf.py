"""Sphinx settings for burstcheck's documentation (Markdown pages, read by MyST).

Built strictly by the tests (tests/test_docs.py: warnings are errors), so a broken link, a missing anchor or a
page left out of the table of contents fails CI."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import __version__  # noqa: E402

project = "burstcheck"
author = "burstcheck"
release = version = __version__
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
# Headings up to ### get anchors that links may name (`config.md#the-expectation`); a missing one is an error.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
html_theme = "alabaster"
html_title = f"burstcheck {release}"
html_static_path: list[str] = []
# Nothing is fetched while building: the docs build offline, as the tests do.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
