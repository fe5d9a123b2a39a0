"""`burstcheck init` on a real Flask app: the routes it lists, the config it writes (which run reads back),
and the file it never overwrites without --force."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from checker.cli import init_template as init_config
from checker.cli.commands.schema import schema_text
from checker.cli.init_endpoint import EndpointChoice, choose_endpoint
from checker.config.load import load_config
from checker.config.servers import servers_of
from checker.errors import EXIT_CONFIG_ERROR, EXIT_COULD_NOT_RUN, EXIT_OK
from checker.wire import RouteTrial
from tests.conftest import REPO, burstcheck_argv

FLASK_APP = """
import time

from flask import Flask

app = Flask(__name__)


@app.get("/slow")
def slow():
    time.sleep(0.005)
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


def choice(path: str = "/a", *, trivial: bool = False) -> EndpointChoice:
    return EndpointChoice(path, "the slowest", ["/b: 0.2 ms"], trivial)


def test_pool_arithmetic_of_the_proposed_modes() -> None:
    assert init_config.waves(10, 8) == 2 and init_config.waves(12, 4) == 3
    text = init_config.render(
        "web:app",
        interface="wsgi",
        framework="flask",
        choice=choice(),
        servers=["werkzeug", "waitress"],
        missing_note="gunicorn and cheroot not installed for the app's interpreter",
        schema_ref="burstcheck.schema.json",
    )
    assert text.startswith("# yaml-language-server: $schema=burstcheck.schema.json\n")
    data = yaml.safe_load(text)
    assert data["burst"]["requests"] % init_config.POOL == 0 and "python" not in data
    assert [m["name"] for m in data["modes"]] == ["serial", "threaded", "forked-4", "waitress"]
    assert data["modes"][2]["expect"] == {"min_concurrency": 2.8, "max_concurrency": 5.7}
    assert "12 requests run in 3 waves of 4" in text and "# gunicorn and cheroot not installed" in text
    assert data["endpoints"] == [{"path": "/a"}] and "#   /b: 0.2 ms" in text
    assert "inject_delay_ms" not in data


def test_every_server_of_the_registry_has_modes_that_the_config_accepts() -> None:
    for interface in ("wsgi", "asgi"):
        for server in servers_of(interface):
            modes = init_config.proposals(server, init_config.DEFAULT_REQUESTS)
            assert modes, server
            assert all(mode["server"] == server for mode, _ in modes)
    asgi = init_config.render("api:app", interface="asgi", framework="fastapi", choice=choice(), servers=["uvicorn"])
    assert yaml.safe_load(asgi)["modes"] == [
        {"name": "uvicorn", "server": "uvicorn", "workers": 1, "expect": "concurrent"}
    ]


def test_a_trivial_app_still_gets_a_config_that_shows_the_servers_structure() -> None:
    text = init_config.render(
        "web:app", interface="wsgi", framework="x", choice=choice(trivial=True), servers=["werkzeug"]
    )
    assert yaml.safe_load(text)["inject_delay_ms"] == init_config.TRIVIAL_DELAY_MS
    assert "well under a millisecond" in text


def trial(path: str, ms: float | None, status: int | None = 200, error: str | None = None) -> RouteTrial:
    return RouteTrial(path=path, status=status, median_ms=ms, calls=3 if ms else 0, error=error)


def test_the_slowest_route_that_answers_200_is_burst() -> None:
    trials = [
        trial("/", 0.2),
        trial("/report", 21.0),
        trial("/admin", 40.0, 302),
        trial("/stream", None, None, "no complete answer within 5 s"),
    ]
    chosen = choose_endpoint(["/", "/admin", "/report", "/stream"], trials)
    assert chosen.path == "/report" and not chosen.trivial and "21.0 ms" in chosen.why
    assert chosen.others == ["/: 0.2 ms", "/admin: answered 302", "/stream: no complete answer within 5 s"]
    fast = choose_endpoint(["/", "/health"], [trial("/", 0.2), trial("/health", 0.3)])
    assert fast.path == "/health" and fast.trivial


def test_a_route_that_streams_its_body_is_not_burst_while_another_answers() -> None:
    """httpbin's /drip takes 2 s, all of it after the answer started: its time is the stream's pace, which a
    burst does not overlap the way it overlaps a view's work."""
    drip = RouteTrial(path="/drip", status=200, median_ms=2002.7, calls=1, streamed=True)
    chosen = choose_endpoint(["/drip", "/get"], [drip, trial("/get", 0.3)])
    assert chosen.path == "/get" and chosen.others == ["/drip: 2002.7 ms (streams its body)"]
    assert choose_endpoint(["/drip"], [drip]).path == "/drip"  # nothing else answered: the stream it is


def test_without_an_answer_the_first_route_is_a_guess_that_says_so() -> None:
    assert choose_endpoint([], []).path == "/" and "'/' is a guess" in choose_endpoint([], []).why
    failed = choose_endpoint(["/a", "/b"], [trial("/a", 1.0, 500), trial("/b", None, None, "raised KeyError")])
    assert failed.path == "/a" and "no route answered 200" in failed.why
    untried = choose_endpoint(["/a"], [], "the app's lifespan startup did not complete: boom")
    assert "not tried (the app's lifespan startup did not complete: boom)" in untried.why


@pytest.mark.e2e
def test_init_lists_the_flask_routes_and_writes_a_config_that_runs(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text(FLASK_APP)
    argv = burstcheck_argv("init", "--app", "web:app", "--output", str(tmp_path / "burstcheck.yaml"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == EXIT_OK, done.stderr
    assert "endpoint /slow: the slowest route that answered 200" in done.stdout
    text = (tmp_path / "burstcheck.yaml").read_text()
    assert "#   /health: " in text and "/items" not in text and "/orders" not in text  # GET, no parameters
    assert (tmp_path / "burstcheck.schema.json").read_text() == schema_text()
    loaded = load_config(tmp_path / "burstcheck.yaml")
    assert {m.server for m in loaded.config.modes} == {"werkzeug", "gunicorn", "waitress", "cheroot"}
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert again.returncode == EXIT_CONFIG_ERROR and "exists already; pass --force" in again.stderr
    forced = subprocess.run([*argv, "--force"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert forced.returncode == EXIT_OK


@pytest.mark.e2e
def test_without_a_fitting_server_init_names_the_interpreter_and_the_install_command(
    tmp_path: Path, bare_python: Path
) -> None:
    (tmp_path / "plain.py").write_text(
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
    )
    argv = burstcheck_argv("init", "--app", "plain:app", "--python", str(bare_python))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == EXIT_COULD_NOT_RUN, done.stdout + done.stderr
    assert "no server for WSGI apps (werkzeug, gunicorn, waitress or cheroot) is installed" in done.stderr
    assert f"{bare_python} (--python): install it there ({bare_python} -m pip install werkzeug)" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "burstcheck.yaml").exists()


@pytest.mark.e2e
def test_init_with_another_python_says_how_to_run_with_it(tmp_path: Path, app_python: Path) -> None:
    """The config does not name an interpreter that may not exist on another machine, so the next step does:
    `run` alone would use burstcheck's own, where the app's packages are missing."""
    (tmp_path / "plain.py").write_text(
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
    )
    argv = burstcheck_argv("init", "--app", "plain:app", "--python", str(app_python))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert f"next: burstcheck run burstcheck.yaml --python {app_python}\n" in done.stdout
