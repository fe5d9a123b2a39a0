"""`burstcheck init` on a real Flask app: the routes it lists, the config it writes (which run reads back),
and the file it never overwrites without --force."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from checker.cli import init_template as init_config
from checker.config.load import load_config
from checker.errors import EXIT_CONFIG_ERROR, EXIT_OK
from tests.conftest import REPO, burstcheck_argv

FLASK_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/slow")
def slow():
    return "ok"


@app.get("/items/<int:item>")
def item(item):
    return str(item)


@app.post("/orders")
def order():
    return "made"


@app.get("/health")
def health():
    return "ok"
"""


def test_pool_arithmetic_of_the_proposed_modes() -> None:
    assert init_config.waves(10, 8) == 2 and init_config.waves(12, 4) == 3
    text = init_config.render("web:app", ["/a", "/b"], {"werkzeug", "waitress"})
    data = yaml.safe_load(text)
    assert data["burst"]["requests"] % init_config.POOL == 0
    assert [m["name"] for m in data["modes"]] == ["serial", "threaded", "forked-4", "waitress"]
    assert data["modes"][2]["expect"] == {"min_concurrency": 2.8, "max_concurrency": 5.7}
    assert "12 requests run in 3 waves of 4" in text and "gunicorn not installed for the app" in text
    assert data["endpoints"] == [{"path": "/a"}] and "#   - path: /b" in text


@pytest.mark.e2e
def test_init_lists_the_flask_routes_and_writes_a_config_that_runs(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text(FLASK_APP)
    argv = burstcheck_argv("init", "--app", "web:app", "--output", str(tmp_path / "burstcheck.yaml"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == EXIT_OK, done.stderr
    assert "modes bursting /health (2 GET routes found)" in done.stdout
    text = (tmp_path / "burstcheck.yaml").read_text()
    assert "#   - path: /slow" in text and "/items" not in text and "/orders" not in text  # GET, no parameters
    loaded = load_config(tmp_path / "burstcheck.yaml")
    assert {m.server for m in loaded.config.modes} == {"werkzeug", "gunicorn", "waitress"}  # all installed here
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert again.returncode == EXIT_CONFIG_ERROR and "exists already; pass --force" in again.stderr
    forced = subprocess.run([*argv, "--force"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert forced.returncode == EXIT_OK
