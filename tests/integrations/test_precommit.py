"""The pre-commit hook for real: `pre-commit try-repo` of this repository in a throwaway git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import APPS, REPO

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

CONFIG = """\
app: {app}:app
endpoints: [{{path: '/?seconds=0.1'}}]
burst: {{requests: 6, calibration_requests: 3}}
modes:
  - name: threaded
    threaded: true
    expect: concurrent
"""


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared, so that the hook's environment is built once for both runs."""
    return tmp_path_factory.mktemp("pre_commit_home")


def try_repo(
    tmp_path: Path,
    pre_commit_home: Path,
    app: str,
    *,
    app_file: Path | None = None,
    venv: Path | None = None,
    python: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """A project with `app` (and, when given, its own .venv and a python: line), checked by the hook."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(app_file or APPS / f"{app}.py", project / f"{app}.py")
    config = CONFIG.format(app=app)
    if python is not None:
        config = f"python: {python}\n" + config
    (project / "burstcheck.yaml").write_text(config)
    if venv is not None:
        (project / ".venv").symlink_to(venv)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "GIT_CONFIG_NOSYSTEM": "1"}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True, env=env)
    subprocess.run([*git, "add", "."], cwd=project, check=True, env=env)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "burstcheck", "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "burstcheck" and hook["language"] == "python" and hook["pass_filenames"] is False
    assert "--quick" in hook["entry"]


@pytest.mark.timeout(600)
def test_hook_passes_on_a_concurrent_app(tmp_path: Path, pre_commit_home: Path) -> None:
    done = try_repo(tmp_path, pre_commit_home, "sleepy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout and "verdict: pass" in done.stdout


@pytest.mark.timeout(600)
def test_hook_fails_on_an_app_with_a_global_lock(tmp_path: Path, pre_commit_home: Path) -> None:
    done = try_repo(tmp_path, pre_commit_home, "locked")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "requests ran one after another" in done.stdout and "- exit code: 1" in done.stdout


@pytest.mark.timeout(900)
@pytest.mark.parametrize("python", [".venv/bin/python", None], ids=["python-in-the-config", "venv-default"])
def test_hook_reaches_the_apps_own_packages(
    tmp_path: Path, pre_commit_home: Path, app_python: Path, python: str | None
) -> None:
    # The hook runs in pre-commit's isolated environment, which lacks the app's package (tests/apps/envpkg):
    # the project's .venv, named in the config or found beside it, runs the app.
    done = try_repo(
        tmp_path,
        pre_commit_home,
        "needs_pkg",
        app_file=APPS / "envapp" / "needs_pkg.py",
        venv=app_python.parent.parent,
        python=python,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout and "verdict: pass" in done.stdout
    chosen = "python: in the config" if python else ".venv beside the config"
    assert f"({chosen}) for threaded" in done.stdout
