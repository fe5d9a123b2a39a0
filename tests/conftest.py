"""Shared fixtures: config files in tmp folders, and the guard that no server outlives its test."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from checker.run import process_path as process_paths
from checker.run.process_path import TOKEN_VARIABLE
from checker.run.server import HOST

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
APPS = TESTS / "apps"
LEFTOVER_GRACE_S = 3.0

# Every process this test session starts inherits this token, so that the leftover guard looks for (and
# ends) only the processes of this run: another burstcheck run on the same machine is none of its business.
SESSION_VARIABLE = "BURSTCHECK_TEST_SESSION"
SESSION_TOKEN = uuid.uuid4().hex
os.environ[SESSION_VARIABLE] = SESSION_TOKEN


def our_processes() -> list[psutil.Process]:
    """Live processes that burstcheck started for this test session (not this pytest process itself)."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with suppress(psutil.Error):
            env = process.environ()
            ours = env.get(SESSION_VARIABLE) == SESSION_TOKEN and TOKEN_VARIABLE in env
            if ours and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def measuring() -> bool:
    """A burst client of this session runs: a server is up and being measured (past the interpreter check)."""
    for process in our_processes():
        with suppress(psutil.Error):
            if "checker.run.burst_worker" in process.cmdline():
                return True
    return False


def running(pid: int) -> bool:
    """Alive: not gone, and not a zombie (dead, waiting for its parent to collect it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_running(pids: list[int], within_s: float) -> list[int]:
    """The pids still running after waiting up to `within_s` for all of them to end."""
    deadline = time.monotonic() + within_s
    while (alive := [p for p in pids if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@pytest.fixture(params=[process_paths.LINUX, process_paths.PORTABLE])
def process_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each way burstcheck keeps a process tree together (checker/run/process_path.py): Linux's,
    and the portable one macOS takes, so that the latter is not a second-class guess. Children (a burstcheck
    run by the test) inherit the choice."""
    monkeypatch.setenv(process_paths.VARIABLE, request.param)
    return str(request.param)


@functools.cache
def environments_readable() -> bool:
    """Whether this system lets a process read another's environment (Linux does; macOS often does not for
    signed interpreters): where it does not, a daemon that left the process group has nothing to be found by on
    the portable path (docs/cli.md), and tests that count on its token are skipped."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"], env={**os.environ, "PROBE": "1"})
    try:
        time.sleep(0.2)
        with suppress(psutil.Error):
            return psutil.Process(child.pid).environ().get("PROBE") == "1"
        return False
    finally:
        child.kill()
        child.wait()


def skip_without_tokens(process_path: str) -> None:
    """The portable path finds a daemon that left the process group by its token only."""
    if process_path == process_paths.PORTABLE and not environments_readable():
        pytest.skip("this system hides other processes' environments: a daemon outside the group has no token")


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """Every test must end every server and worker it started, whether it passed or failed."""
    assert not our_processes(), "a process started by an earlier test of this run was still running"
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while (left := our_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    described = []
    for process in left:
        with suppress(psutil.Error):
            described.append(" ".join(process.cmdline()))
        with suppress(psutil.Error):
            process.kill()
    assert not left, f"processes left running: {described}"


WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write YAML text to a config file whose app_dir is tests/apps."""

    def write(text: str) -> Path:
        path = tmp_path / "burstcheck.yaml"
        path.write_text(text.replace("APPS", str(APPS)), encoding="utf-8")
        return path

    return write


def burstcheck_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "checker", *args]


@dataclass(frozen=True)
class Checked:
    """What a user of `burstcheck run CONFIG --json REPORT` gets: exit code, output, report."""

    returncode: int
    output: str
    report: dict[str, Any]

    def results_by_mode(self) -> dict[str, dict[str, Any]]:
        return {r["mode"]: r for r in self.report["results"]}


def run_with_report(
    config: Path, report: Path, *, env: dict[str, str] | None = None, timeout_s: float = 120
) -> Checked:
    done = subprocess.run(
        burstcheck_argv("run", str(config), "--json", str(report)),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        env=env,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return Checked(done.returncode, done.stdout + done.stderr, data)


def fresh_venv(root: Path, *packages: str) -> Path:
    """A new venv at `root` with only `packages` installed; its python."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    if packages:
        install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages]
        subprocess.run(install, check=True, timeout=900)
    return python


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port that something else listens on."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a second environment, as a user's project has one: the server packages, Django
    and the app's own package (tests/apps/envpkg), which burstcheck's environment lacks. Built once."""
    root = tmp_path_factory.mktemp("app-env") / "venv"
    return fresh_venv(root, "werkzeug", "gunicorn", "waitress", "django", str(APPS / "envpkg"))


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment with no server package at all."""
    return fresh_venv(tmp_path_factory.mktemp("bare-env") / "venv")


SAMPLES = APPS / "samples"
# The interpreter the sample apps' virtualenvs are made from: this one's base, so that no download is needed.
SAMPLE_BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


class SampleEnvs:
    """One virtualenv per sample app (tests/apps/samples/NAME/requirements.txt), made with uv on first use and
    kept for the session: uv resolves, downloads and installs in seconds where pip takes minutes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: dict[str, Path] = {}

    def python(self, name: str) -> Path:
        if name not in self.made:
            venv = self.root / name
            uv = str(Path(sys.executable).parent / "uv")
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
            subprocess.run(
                [uv, "venv", "-q", "--python", SAMPLE_BASE_PYTHON, str(venv)], check=True, env=env, timeout=120
            )
            requirements = str(SAMPLES / name / "requirements.txt")
            install = [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "-r", requirements]
            subprocess.run(install, check=True, env=env, timeout=600)
            self.made[name] = venv / "bin" / "python"
        return self.made[name]

    def project(self, name: str, folder: Path) -> Path:
        """A copy of the sample app in `folder`, with its virtualenv as .venv beside it (as a project has)."""
        shutil.copytree(SAMPLES / name, folder)
        shutil.copy(SAMPLES / "catalog.py", folder / "catalog.py")
        (folder / ".venv").symlink_to(self.python(name).parent.parent)
        return folder


@pytest.fixture(scope="session")
def sample_envs(tmp_path_factory: pytest.TempPathFactory) -> SampleEnvs:
    return SampleEnvs(tmp_path_factory.mktemp("sample-envs"))
