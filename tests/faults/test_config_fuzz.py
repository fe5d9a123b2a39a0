"""Generated configs (hypothesis), near-valid and junk, through the real command line entry in-process:
every outcome is exit 2 (config error) or 3 (could not run: the deadline is set to pass at once, so that no
server boots), never an exception, always with a JSON report and a JUnit file that parse, within seconds."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checker.cli import main as cli
from checker.errors import EXIT_CONFIG_ERROR, EXIT_COULD_NOT_RUN

pytestmark = pytest.mark.e2e  # runs the command line a few hundred times

TOP_KEYS = ["app", "app_dir", "env", "endpoints", "burst", "boot_timeout", "inject_delay_ms", "control_path", "modes"]
MODE_KEYS = ["name", "server", "expect", "threaded", "processes", "workers", "worker_class", "threads", "command"]
ENDPOINT_KEYS = ["path", "method", "headers", "body", "expect_status"]
# `python:` is never generated: a valid one is run as an interpreter probe, and a random command is not for
# a test to run.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.sampled_from(["serialized", "concurrent", "werkzeug", "gunicorn", "waitress", "command", "/", "sleepy:app"]),
)
value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)


def mapping(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | text, values, max_size=len(keys))


near_valid = st.fixed_dictionaries(
    {
        "app": st.sampled_from(["sleepy:app", "nope:app", "a:b()"]) | text,
        "endpoints": st.lists(mapping(ENDPOINT_KEYS, value) | st.just({"path": "/"}), max_size=3),
        "modes": st.lists(mapping(MODE_KEYS, value) | st.just({"name": "m", "expect": "concurrent"}), max_size=3),
    },
    optional={key: value for key in TOP_KEYS if key not in ("app", "endpoints", "modes")},
)
VALID: dict[str, Any] = {
    "app": "sleepy:app",
    "endpoints": [{"path": "/"}],
    "modes": [
        {"name": "m", "expect": "concurrent"},
        {"name": "c", "server": "command", "command": "x {port}", "expect": "serialized"},
    ],
}
# A valid config with at most one field changed: reaches the run (and its deadline) often enough.
PLAUSIBLE = {
    "app": st.sampled_from(["sleepy:app", "pkg.mod:create_app('x', debug=False)", "site.wsgi:application"]),
    "app_dir": st.just("."),
    "env": st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True), text, max_size=3),
    "burst": st.fixed_dictionaries({}, optional={"requests": st.integers(2, 2000), "timeout": st.floats(0.1, 100)}),
    "boot_timeout": st.floats(0.1, 600),
    "inject_delay_ms": st.floats(0, 1000),
    "control_path": st.from_regex(r"/[a-z0-9/?=&]{0,20}", fullmatch=True),
    "endpoints": st.lists(
        st.fixed_dictionaries({"path": st.from_regex(r"/[a-z0-9]{0,8}", fullmatch=True)}), min_size=1
    ),
    "modes": st.just(VALID["modes"]),
}
# A valid config with one field changed, to a plausible or a junk value: reaches the run (and its deadline)
# often, and probes each field's validation.
one_change = (
    st.sampled_from([*TOP_KEYS, "modes.0", "endpoints.0"])
    .flatmap(lambda where: st.tuples(st.just(where), PLAUSIBLE.get(where, value) | value))
    .map(lambda change: _changed(VALID, *change))
)


def _changed(base: dict[str, Any], where: str, new: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(base))
    key, _, index = where.partition(".")
    if index:
        data[key][int(index)] = new if not isinstance(new, dict) else {**data[key][int(index)], **new}
    else:
        data[key] = new
    return data


config_text = st.one_of(
    one_change.map(lambda data: yaml.safe_dump(data, allow_unicode=True)),
    near_valid.map(lambda data: yaml.safe_dump(data, allow_unicode=True)),
    value.map(lambda data: yaml.safe_dump(data, allow_unicode=True)),
    text.filter(lambda t: "python" not in t),
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=config_text)
def test_any_config_ends_in_exit_2_or_3_with_reports(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, report, junit = tmp_path / "burstcheck.yaml", tmp_path / "report.json", tmp_path / "junit.xml"
    path.write_text(config, encoding="utf-8")
    report.unlink(missing_ok=True)
    junit.unlink(missing_ok=True)
    started = time.monotonic()
    code = cli.main(["run", str(path), "--json", str(report), "--junit", str(junit), "--deadline", "0.001", "-q"])
    took = time.monotonic() - started
    event(f"exit {code}")
    captured = capsys.readouterr()
    assert code in (EXIT_CONFIG_ERROR, EXIT_COULD_NOT_RUN), captured.err
    # The crash forms, where they start a line: a config's own text is echoed inside its errors, and Hypothesis
    # draws strings from this file's constants (it generated a key named "internal error").
    assert not re.search(r"^Traceback \(most recent call last\)", captured.out + captured.err, re.MULTILINE)
    assert not re.search(r"^burstcheck: internal error \(a bug", captured.err, re.MULTILINE)
    assert json.loads(report.read_text())["verdict"] == "error"
    ET.parse(junit)
    assert took < 5, f"{took:.1f} s for:\n{config}"
