"""Which interpreter runs the app, in the order a user expects, and the probe that checks it first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from checker.config.interpreter import DEFAULT_VARIABLE, Interpreter, choose, install_advice, own, resolve
from checker.errors import ConfigError, RunError
from checker.run.preflight import probe
from tests.conftest import REPO


def executable(path: Path, body: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder with its own .venv, and no interpreter named by the environment."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv(DEFAULT_VARIABLE, raising=False)
    executable(tmp_path / ".venv" / "bin" / "python")
    executable(tmp_path / "envs" / "api" / "bin" / "python")
    return tmp_path


def test_the_command_line_wins(project: Path) -> None:
    chosen = choose(cli=sys.executable, mode="envs/api/bin/python", config="x", config_dir=project)
    # A path is made absolute and normalized, never resolved (a venv's python is a symlink that must stay one);
    # sys.executable need not be normalized (pytest started as ../.venv/bin/python from tests/).
    assert chosen == Interpreter(os.path.normpath(Path.cwd() / sys.executable), "--python")


def test_a_modes_python_beats_the_configs_and_is_relative_to_the_config(project: Path) -> None:
    chosen = choose(cli=None, mode="envs/api/bin/python", config="nope", config_dir=project)
    assert chosen == Interpreter(str(project / "envs" / "api" / "bin" / "python"), "python: of the mode")
    chosen = choose(cli=None, mode=None, config="envs/api/bin/python", config_dir=project)
    assert chosen.chosen_by == "python: in the config"


def test_a_command_name_is_looked_up_on_path(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = project / "bin"
    executable(bin_dir / "python3.12")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert choose(cli=None, mode=None, config="python3.12", config_dir=project).path == str(bin_dir / "python3.12")
    with pytest.raises(ConfigError, match="'python9' is not a command on PATH"):
        choose(cli=None, mode=None, config="python9", config_dir=project)


def test_a_venv_beside_the_config_then_the_jobs_python_then_an_active_virtualenv(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert choose(cli=None, mode=None, config=None, config_dir=project).chosen_by == ".venv beside the config"
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("VIRTUAL_ENV", str(project / "envs" / "api"))
    assert choose(cli=None, mode=None, config=None, config_dir=elsewhere) == Interpreter(
        str(project / "envs" / "api" / "bin" / "python"), "the active virtualenv (VIRTUAL_ENV)"
    )
    monkeypatch.setenv(DEFAULT_VARIABLE, sys.executable)
    assert choose(cli=None, mode=None, config=None, config_dir=elsewhere).chosen_by.startswith("the job's python")


def test_burstchecks_own_virtualenv_is_not_the_apps(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Under pre-commit, VIRTUAL_ENV names the hook's environment: burstcheck's own.
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    assert choose(cli=None, mode=None, config=None, config_dir=elsewhere) == Interpreter(
        sys.executable, "burstcheck's own"
    )


def test_a_venvs_python_is_not_followed_through_its_symlink(tmp_path: Path) -> None:
    base = executable(tmp_path / "base" / "python3")
    link = tmp_path / "venv" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(base)
    assert resolve("venv/bin/python", tmp_path, "python").path == str(link)


def test_a_missing_interpreter_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no Python interpreter at .*/nowhere/bin/python"):
        resolve("nowhere/bin/python", tmp_path, "python")


def test_the_probe_reports_version_and_missing_packages(tmp_path: Path) -> None:
    found = probe(Interpreter(sys.executable, "test"), ["werkzeug", "no_such_package_here"], tmp_path)
    assert found.version == list(sys.version_info[:2])
    assert found.missing == ["no_such_package_here"]


def test_an_interpreter_older_than_3_9_is_refused_by_name(tmp_path: Path) -> None:
    old = executable(tmp_path / "py38", """echo 'burstcheck-probe: {"version": [3, 8], "missing": []}'""")
    with pytest.raises(RunError, match=r"is Python 3\.8; burstcheck serves apps on Python 3\.9 or newer"):
        probe(Interpreter(str(old), "python: in the config"), [], tmp_path)


def test_an_interpreter_that_fails_to_start_says_so(tmp_path: Path) -> None:
    broken = executable(tmp_path / "broken", "echo 'bad interpreter' >&2; exit 1")
    with pytest.raises(RunError, match=r"exited with status 1 before it answered .*\n    \| bad interpreter"):
        probe(Interpreter(str(broken), "--python"), [], tmp_path)


def test_the_server_entry_keeps_to_python_3_9_and_to_itself() -> None:
    """Every module of the app-side package parses here (vermin checks 3.9 in tests/test_lint.py) and imports
    nothing of burstcheck's: it runs where `checker` is not importable."""
    folder = REPO / "checker" / "app_server"
    for path in sorted(folder.glob("*.py")):
        source = path.read_text()
        compile(source, str(path), "exec", flags=0, dont_inherit=True)
        assert "import checker" not in source and "from checker" not in source, path.name


def test_venv_and_env_folders_count_with_a_pyvenv_cfg(project: Path) -> None:
    folder = project / "app"
    executable(folder / "env" / "bin" / "python")  # no pyvenv.cfg: some other env/ folder
    assert choose(cli=None, mode=None, config=None, config_dir=folder).chosen_by == "burstcheck's own"
    executable(folder / "venv" / "bin" / "python")
    (folder / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert choose(cli=None, mode=None, config=None, config_dir=folder) == Interpreter(
        str(folder / "venv" / "bin" / "python"), "venv beside the config"
    )


def test_install_advice_fits_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uv_made = executable(project / "uvenv" / "bin" / "python")
    (project / "uvenv" / "pyvenv.cfg").write_text("home = /usr/bin\nuv = 0.9.0\n")
    advice = install_advice(Interpreter(str(uv_made), "python: in the config"), ["gunicorn"])
    assert advice.startswith(f"install it there (uv pip install --python {uv_made} gunicorn)")
    # Under the pre-commit hook, burstcheck's own environment is pre-commit's cache: never advise installing there.
    monkeypatch.setenv("PRE_COMMIT", "1")
    (project / "poetry.lock").write_text("")
    hook = install_advice(own(), ["gunicorn"], project)
    assert "pip install" not in hook and "pre-commit's own environment" in hook
    assert "poetry env info --executable" in hook


def test_a_missing_python_in_ci_says_to_leave_it_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with pytest.raises(ConfigError, match="leave python: out, and the job's python runs the app"):
        resolve(".venv/bin/python", tmp_path, "python: in the config")
