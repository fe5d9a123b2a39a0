"""A newcomer's first five minutes, for each framework: a sample shop in its own virtualenv (.venv beside the
config), `burstcheck init --app ...`, then `burstcheck run`: green on the healthy app, and red (exit 1) once
a global lock is put in the endpoint init chose - as a regression would."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from checker.errors import EXIT_EXPECTATION_FAILED, EXIT_OK
from tests.conftest import SampleEnvs, burstcheck_argv

pytestmark = pytest.mark.e2e  # makes virtualenvs, boots real servers


@dataclass(frozen=True)
class Sample:
    name: str  # the folder in tests/apps/samples
    app: str
    endpoint: str  # the route that does real work: init must choose it
    servers: set[str]  # what init proposes: the registry's servers of the interface installed in the venv
    lock_file: str  # where the lock goes, and which lock
    lock: str


UNLOCKED = "REPORT_LOCK = contextlib.nullcontext()"
THREAD_LOCK = "import threading\nREPORT_LOCK = threading.Lock()"
SAMPLES = [
    Sample("flask_shop", "shop:app", "/report", {"werkzeug", "gunicorn"}, "shop.py", THREAD_LOCK),
    # A plain `def` endpoint: FastAPI runs it in anyio's pool of 40 threads, concurrent at N=12.
    Sample("fastapi_shop", "shop:app", "/api/report", {"uvicorn"}, "shop.py", THREAD_LOCK),
    Sample(
        "quart_shop", "shop:app", "/report", {"hypercorn"}, "shop.py", "import asyncio\nREPORT_LOCK = asyncio.Lock()"
    ),
    # Django without werkzeug: gunicorn and waitress only.
    Sample(
        "django_shop",
        "shopsite.wsgi:application",
        "/sales/report",
        {"gunicorn", "waitress"},
        "sales/views.py",
        THREAD_LOCK,
    ),
]


def burstcheck(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(burstcheck_argv(*args), cwd=project, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_init_then_run_is_green_and_a_lock_makes_it_red(
    sample: Sample, sample_envs: SampleEnvs, tmp_path: Path
) -> None:
    project = sample_envs.project(sample.name, tmp_path / "project")
    init = burstcheck(project, "init", "--app", sample.app)
    assert init.returncode == EXIT_OK, init.stdout + init.stderr
    assert f"endpoint {sample.endpoint}: the slowest route that answered 200" in init.stdout
    written = (project / "burstcheck.yaml").read_text()
    config = yaml.safe_load(written)
    assert written.startswith("# yaml-language-server: $schema=burstcheck.schema.json\n")
    assert config["endpoints"] == [{"path": sample.endpoint}] and "python" not in config
    assert {mode["server"] for mode in config["modes"]} == sample.servers

    healthy = burstcheck(project, "run")
    print(healthy.stdout + healthy.stderr)  # the lead reads the first run's table in the test log
    assert healthy.returncode == EXIT_OK, healthy.stdout + healthy.stderr
    assert "(.venv beside the config)" in healthy.stdout

    lock_file = project / sample.lock_file
    source = lock_file.read_text()
    assert UNLOCKED in source
    lock_file.write_text(source.replace(UNLOCKED, sample.lock))
    locked = burstcheck(project, "run", "--quick")
    assert locked.returncode == EXIT_EXPECTATION_FAILED, locked.stdout + locked.stderr
    assert "requests ran one after another" in locked.stdout
