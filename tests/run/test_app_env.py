"""The user's real app in its own environment: its interpreter, its dependencies, factories and Django, and
nothing of burstcheck's in the app's way (or the app's in burstcheck's)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import APPS, burstcheck_argv, run_with_report

pytestmark = pytest.mark.e2e

ENVAPP = APPS / "envapp"
BURST = "burst: {requests: 8, repeats: 2, calibration_requests: 2, timeout: 20}\n"


def write(folder: Path, text: str) -> Path:
    path = folder / "burstcheck.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def threaded(folder: Path, app: str = "needs_pkg:app", *, extra: str = "", expect: str = "concurrent") -> Path:
    """A config with one threaded mode for an app of tests/apps/envapp; `extra` adds top-level lines."""
    return write(
        folder,
        f"app: \"{app}\"\napp_dir: {ENVAPP}\n{extra}endpoints: [{{path: '/?ms=50'}}]\n{BURST}"
        f"modes: [{{name: threaded, threaded: true, expect: {expect}}}]\n",
    )


@pytest.mark.timeout(900)
def test_an_app_needing_its_own_package_runs_under_its_interpreter(app_python: Path, tmp_path: Path) -> None:
    import importlib.util

    assert importlib.util.find_spec("greeting") is None  # burstcheck's environment lacks the app's package
    path = write(
        tmp_path,
        f"app: needs_pkg:app\napp_dir: {ENVAPP}\npython: {app_python}\nendpoints: [{{path: '/?ms=50'}}]\n{BURST}"
        "modes:\n"
        "  - {name: threaded, threaded: true, expect: concurrent}\n"
        "  - {name: sync2, server: gunicorn, workers: 2, expect: {min_concurrency: 1.5, max_concurrency: 2.5}}\n"
        "  - {name: waitress2, server: waitress, threads: 2, expect: {min_concurrency: 1.5, max_concurrency: 2.5}}\n",
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    for result in checked.report["results"]:
        assert result["python"] == f"{app_python} (python: in the config)"
        assert result["verdict"] == "pass"
    assert f"python: {app_python} (python: in the config) for threaded, sync2, waitress2" in checked.output


def test_a_missing_server_package_is_named_before_any_burst(bare_python: Path, tmp_path: Path) -> None:
    path = threaded(tmp_path, extra=f"python: {bare_python}\n")
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 3, checked.output
    reason = checked.report["results"][0]["reason"]
    assert reason.startswith(f"mode 'threaded': werkzeug is not installed for the app's interpreter {bare_python}")
    assert f"{bare_python} -m pip install werkzeug" in reason
    assert checked.report["results"][0]["attempts"] == []  # nothing was measured


def test_a_venv_beside_the_config_is_the_default(app_python: Path, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(app_python.parent.parent)
    path = threaded(tmp_path)
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    assert checked.report["results"][0]["python"].endswith("(.venv beside the config)")


def test_an_active_virtualenv_is_used_unless_it_is_burstchecks_own(app_python: Path, tmp_path: Path) -> None:
    path = threaded(tmp_path)
    active = {**os.environ, "VIRTUAL_ENV": str(app_python.parent.parent)}
    checked = run_with_report(path, tmp_path / "report.json", env=active)
    assert checked.returncode == 0, checked.output
    assert checked.report["results"][0]["python"] == f"{app_python} (the active virtualenv (VIRTUAL_ENV))"
    # Under pre-commit VIRTUAL_ENV names the hook's environment, burstcheck's own: the app lacks its package there.
    own = {**os.environ, "VIRTUAL_ENV": sys.prefix}
    checked = run_with_report(path, tmp_path / "own.json", env=own)
    assert checked.returncode == 3 and "No module named 'greeting'" in checked.output
    assert checked.report["results"][0]["python"] == f"{sys.executable} (burstcheck's own)"


def test_python_on_the_command_line_wins(app_python: Path, bare_python: Path, tmp_path: Path) -> None:
    path = threaded(tmp_path, extra=f"python: {bare_python}\n")
    done = subprocess.run(
        burstcheck_argv("run", str(path), "--python", str(app_python)), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"python: {app_python} (--python) for threaded" in done.stdout


def test_an_app_folder_with_its_own_checker_package(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"app: web:app\napp_dir: {APPS / 'shadowing'}\nendpoints: [{{path: /}}]\n{BURST}"
        "modes: [{name: threaded, threaded: true, expect: concurrent}]\n",
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output


def test_a_users_module_named_like_burstchecks_libraries_does_not_matter(tmp_path: Path) -> None:
    # Run as users do (the console script) from the app's folder, which holds a requests.py that raises on
    # import: neither the burst client nor the server entry may pick it up.
    path = threaded(tmp_path, "factory:create_app(seconds='0.05')")
    console_script = Path(sys.executable).parent / "burstcheck"
    done = subprocess.run(
        [str(console_script), "run", str(path)], capture_output=True, text=True, timeout=120, cwd=ENVAPP
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("app", "expect"),
    [("factory:create_app(seconds='0.05')", "concurrent"), ("factory:create_app('0.05', locked=True)", "serialized")],
)
def test_a_factory_with_literal_arguments(tmp_path: Path, app: str, expect: str) -> None:
    path = threaded(tmp_path, app, expect=expect)
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output


@pytest.mark.timeout(900)
def test_a_django_project_with_settings_from_env(app_python: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"app: mysite.wsgi:application\napp_dir: {APPS / 'djsite'}\npython: {app_python}\n"
        "env: {DJANGO_SETTINGS_MODULE: mysite.settings_burst}\n"
        f"endpoints: [{{path: '/sleep?ms=50'}}, {{path: '/locked?ms=50'}}]\n{BURST}"
        "modes:\n"
        "  - {name: threaded, threaded: true, expect: {min_concurrency: 0.1}}\n",
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    by_endpoint = {r["endpoint"]: r for r in checked.report["results"]}
    assert by_endpoint["GET /sleep?ms=50"]["measured"] >= 0.8 * 8
    assert by_endpoint["GET /locked?ms=50"]["measured"] <= 1.5
    assert "the app serialized them" in by_endpoint["GET /locked?ms=50"]["diagnosis"]


def test_env_per_mode_overrides_the_config(app_python: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"app: mysite.wsgi:application\napp_dir: {APPS / 'djsite'}\npython: {app_python}\n"
        "env: {DJANGO_SETTINGS_MODULE: mysite.settings_burst}\n"
        f"endpoints: [{{path: '/sleep?ms=10'}}]\n{BURST}"
        "modes:\n"
        "  - {name: plain, threaded: true, env: {DJANGO_SETTINGS_MODULE: mysite.settings}, expect: concurrent}\n",
    )
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 3  # the views answer 500 unless the config's settings module was used
    assert "status 500, expected 200" in checked.report["results"][0]["reason"]


def python_3_9() -> str | None:
    """A working Python 3.9 on this machine: on PATH, or one of pyenv's versions (whose shim may refuse)."""
    candidates = [
        shutil.which("python3.9"),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


def test_the_server_entry_runs_on_python_3_9(tmp_path: Path) -> None:
    python39 = python_3_9()
    if python39 is None:
        pytest.skip("no Python 3.9 on this machine (the vermin check in test_lint covers the syntax)")
    venv = tmp_path / "py39"
    subprocess.run([python39, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "werkzeug"], check=True, timeout=300)
    path = threaded(tmp_path, "factory:create_app(seconds='0.05')", extra=f"python: {venv / 'bin' / 'python'}\n")
    checked = run_with_report(path, tmp_path / "report.json")
    assert checked.returncode == 0, checked.output
    assert checked.report["results"][0]["python"].startswith(str(venv / "bin" / "python"))
