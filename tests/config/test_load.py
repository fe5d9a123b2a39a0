"""Config loading: good files load, every kind of mistake names file, line and field, and exits 2."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from checker.config import CONCURRENT_MIN_FRACTION, SERIALIZED_MAX_CONCURRENCY
from checker.config.load import load_config
from checker.errors import EXIT_CONFIG_ERROR, ConfigError
from tests.conftest import REPO, WriteConfig, burstcheck_argv

VALID = """\
app: sleepy:app
app_dir: APPS
endpoints:
  - path: /slow
burst:
  requests: 10
modes:
  - name: serial
    server: werkzeug
    threaded: false
    expect: serialized
  - name: threaded
    threaded: true
    expect: {min_concurrency: 8}
  - name: forked
    server: werkzeug
    processes: 4
    expect: {min_concurrency: 3, max_concurrency: 4.5}
"""


def error_of(write_config: WriteConfig, text: str) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_valid_config_loads_with_defaults(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(VALID))
    config = loaded.config
    assert [m.name for m in config.modes] == ["serial", "threaded", "forked"]
    assert config.modes[1].server == "werkzeug"  # server defaults to werkzeug
    assert config.burst.repeats == 3 and config.burst.timeout == 30
    assert config.endpoints[0].method == "GET" and config.endpoints[0].expect_status == 200
    assert config.modes[0].expect.bounds(10) == (None, SERIALIZED_MAX_CONCURRENCY)
    assert config.modes[2].expect.bounds(10) == (3, 4.5)
    assert loaded.line_of(("modes", 1, "expect")) == 14


def test_concurrent_keyword_scales_with_the_burst(write_config: WriteConfig) -> None:
    loaded = load_config(write_config(VALID.replace("{min_concurrency: 8}", "concurrent")))
    assert loaded.config.modes[1].expect.bounds(10) == (CONCURRENT_MIN_FRACTION * 10, None)
    assert loaded.config.modes[1].expect.describe(10) == "concurrent (>= 8)"


@pytest.mark.parametrize("config", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_config_loads(config: Path) -> None:
    assert load_config(config).config.modes


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  requests: 10", "  requests: 10\n  request: 5", ":7: burst.request: unknown key"),
        ("  requests: 10", "  requests: ten", ":6: burst.requests: Input should be a valid integer"),
        ("  requests: 10", "  requests: 1", ":6: burst.requests: Input should be greater than or equal to 2"),
        (
            "    processes: 4",
            "    threaded: true\n    processes: 4",
            ":18: modes[2].processes: threaded: true cannot be combined with processes > 1",
        ),
        (
            "{min_concurrency: 3, max_concurrency: 4.5}",
            "{min_concurrency: 5, max_concurrency: 4.5}",
            ":18: modes[2].expect.max_concurrency: max_concurrency (4.5) is below min_concurrency (5)",
        ),
        ("{min_concurrency: 8}", "{}", ":14: modes[1].expect: give min_concurrency, max_concurrency"),
        ("{min_concurrency: 8}", "lots", ":14: modes[1].expect: expect must be 'serialized', 'concurrent'"),
        ("{min_concurrency: 8}", "{min_concurrency: 12}", ":14: modes[1].expect.min_concurrency: min_concurrency 12"),
        ("server: werkzeug\n    threaded: false", "server: nginx", ":9: modes[0].server: unknown server"),
        ("name: forked", "name: serial", ":15: modes[2].name: mode name 'serial' is already used by modes[0]"),
        ("  - path: /slow", "  - path: slow", ":4: endpoints[0].path: a path starts with '/'"),
        ("  - path: /slow", "  - path: /a b", ":4: endpoints[0].path: a path starts with '/' and holds no spaces"),
        ("  - path: /slow", "  - method: GET", ":4: endpoints[0].path: Field required"),
        ("app: sleepy:app", "app: sleepy", ":1: app: use 'module:attribute' or 'module:factory()'"),
        ("app: sleepy:app", "app: 'sleepy:make(os.environ)'", ":1: app: a factory's arguments must be literals"),
        ("app: sleepy:app", "app: 'my-app:app'", ":1: app: 'my-app' is not a module name"),
        ("app: sleepy:app", "app: sleepy:app\npython: envs/none/bin/python", ":2: python: no Python interpreter at"),
        ("app: sleepy:app", "app: sleepy:app\npython: python9.9", ":2: python: 'python9.9' is not a command on PATH"),
        ("    threaded: false", "    threaded: false\n    python: nope/python", ":11: modes[0].python: no Python"),
        ("app: sleepy:app", "app: sleepy:app\nenv: {'BAD NAME': x}", ":2: env.BAD NAME: String should match pattern"),
        ("app: sleepy:app\n", "", ":1: app: app is required by modes serial, threaded, forked"),
        (
            "    server: werkzeug\n    processes: 4",
            "    server: command\n    command: 'serve --port 80'",
            ":17: modes[2].command: the command must contain {port}",
        ),
        (
            "    server: werkzeug\n    processes: 4",
            "    server: gunicorn\n    threads: 4",
            ":17: modes[2].threads: threads > 1 needs worker_class: gthread",
        ),
        ("burst:\n", "app: other:app\nburst:\n", ":5: app: duplicate key (first given on line 1)"),
        ("  requests: 10", "  requests: [10", ":7: YAML syntax error"),
        ("app_dir: APPS", "app_dir: APPS/missing", ":2: app_dir: no such folder: "),
        # Values that used to pass loading and crash the run (issue 9): each is now caught at its line.
        ("app_dir: APPS", "app_dir: " + "x" * 300, ":2: app_dir: cannot use this folder: File name too long"),
        ("app_dir: APPS", 'app_dir: "APPS\\0"', ":2: app_dir: contains a NUL character"),
        ("  requests: 10", "  requests: 1:30", ":6: burst.requests: Input should be a valid integer"),
        ("  requests: 10", "  timeout: .nan", ":6: burst.timeout: Input should be a finite number"),
        (
            "  - path: /slow",
            '  - path: /slow\n    headers: {X: "a\\r\\nB: c"}',
            ":5: endpoints[0].headers: header X: the value",
        ),
        (
            "  - path: /slow",
            '  - path: /slow\n    headers: {X: " a"}',
            ":5: endpoints[0].headers: header X: the value starts",
        ),
        ("  - path: /slow", '  - path: /slow\n    headers: {"X:Y": a}', ":5: endpoints[0].headers: header name 'X:Y'"),
        (
            "  - path: /slow",
            "  - path: /slow\n    headers: {X: 日本}",
            ":5: endpoints[0].headers: header X: HTTP header values are Latin-1",
        ),
        ("app: sleepy:app", 'app: sleepy:app\nenv: {A: "\\0"}', ":2: env.A: contains a NUL character"),
        ("server: werkzeug\n    threaded: false", "server: 5", ":9: modes[0].server: unknown server"),
        (
            "  - name: serial",
            "  - 5\n  - name: serial",
            ":8: modes[0]: each mode is a mapping with name, server and expect",
        ),
        (
            "    server: werkzeug\n    processes: 4",
            "    server: command\n    command: '{port:>2000000000} {port}'",
            ":17: modes[2].command: unknown placeholder {port:>2000000000}",
        ),
        (
            "    server: werkzeug\n    processes: 4",
            "    server: command\n    command: '{python.nope} {port}'",
            ":17: modes[2].command: unknown placeholder {python.nope}",
        ),
        (
            "    server: werkzeug\n    processes: 4",
            '    server: command\n    command: "serve\\0 {port}"',
            ":17: modes[2].command: the command contains a NUL character",
        ),
    ],
)
def test_config_mistakes_name_file_line_and_field(write_config: WriteConfig, old: str, new: str, expected: str) -> None:
    assert old in VALID
    message = error_of(write_config, VALID.replace(old, new, 1))
    assert expected in message, message


def test_factories_django_and_env_load(write_config: WriteConfig) -> None:
    text = VALID.replace("app: sleepy:app", "app: \"factory:create_app('prod', debug=False)\"\nenv: {MODE: prod}")
    text = text.replace("    threaded: false", "    threaded: false\n    env: {MODE: serial, EXTRA: '1'}")
    loaded = load_config(write_config(text))
    config = loaded.config
    assert config.app == "factory:create_app('prod', debug=False)"
    assert config.env_for(config.modes[0]) == {"MODE": "serial", "EXTRA": "1"}
    assert config.env_for(config.modes[1]) == {"MODE": "prod"}
    django = load_config(write_config(VALID.replace("app: sleepy:app", "app: mysite.wsgi:application")))
    assert django.config.app == "mysite.wsgi:application"


def test_every_problem_is_listed(write_config: WriteConfig) -> None:
    text = VALID.replace("  requests: 10", "  requests: 1").replace("threaded: true", "threaded: maybe")
    message = error_of(write_config, text)
    assert "(2 problems)" in message
    assert "burst.requests" in message and "modes[1].threaded" in message


def test_a_config_must_be_a_mapping(write_config: WriteConfig) -> None:
    assert ":1: the config must be a YAML mapping" in error_of(write_config, "- just\n- a list\n")


def test_missing_file_says_how_to_pass_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*burstcheck run CONFIG"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.e2e
def test_cli_exits_2_with_the_message_and_no_traceback(write_config: WriteConfig) -> None:
    path = write_config(VALID.replace("  requests: 10", "  requests: 1"))
    done = subprocess.run(burstcheck_argv("run", str(path)), capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_CONFIG_ERROR
    assert f"{path}:6: burst.requests: Input should be greater than or equal to 2" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_unknown_mode_filter_is_a_usage_error(write_config: WriteConfig) -> None:
    path = write_config(VALID)
    done = subprocess.run(
        burstcheck_argv("run", str(path), "--modes", "serial,turbo"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_CONFIG_ERROR
    assert "--modes names no mode" in done.stderr and "turbo" in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [*a]\n", ":1: the alias *a refers to a collection that contains it"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", ":1: nested more than 50 levels deep"),
        (
            "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 12)),
            ":1: the config expands to more than 100000 values",
        ),
        ("a: " + "x" * 1_000_001 + "\n", ":1: the config is larger than 1000000 bytes"),
    ],
    ids=["self-alias", "deep", "alias-bomb", "huge"],
)
def test_hostile_yaml_is_refused_quickly(write_config: WriteConfig, text: str, expected: str) -> None:
    started = time.monotonic()
    message = error_of(write_config, text)
    assert expected in message, message
    assert time.monotonic() - started < 5  # the alias bomb once took minutes (issue 9)


def test_an_aliased_mapping_is_checked_for_duplicates_once(write_config: WriteConfig) -> None:
    text = VALID.replace("endpoints:\n  - path: /slow", "endpoints:\n  - &e {path: /slow, path: /x}\n  - *e")
    message = error_of(write_config, text)
    assert message.count("duplicate key") == 1, message
