"""The GitHub Action as a runner runs it: its composite steps in bash with the runner's variables, plus
the security and schema checks on the action and every workflow."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import APPS, REPO, SampleEnvs
from tests.reports.test_pr_comment import fake_github

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DEPENDABOT = REPO / ".github" / "dependabot.yml"
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text())  # type: ignore[no-any-return]


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    outputs: dict[str, str]
    summary: str


def parse_github_output(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `key=value` lines, and `key<<DELIMITER` ... `DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for item in lines:
                if item == delimiter:
                    break
                block.append(item)
            else:
                raise AssertionError(f"GITHUB_OUTPUT: no closing delimiter for {key}")
            values[key] = "\n".join(block)
        elif line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def run_action(
    inputs: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    job_python: Path | None = None,
    runner_env: dict[str, str] | None = None,
) -> ActionRun:
    """Run action.yml's steps like a runner: inputs only through `env:`/`working-directory:` expressions.

    `job_python` is the job's `python` on PATH, where setup-python and `pip install -r requirements.txt` put
    the app's packages (default: this test environment's, which has the servers)."""
    spec = action()
    values = {name: inputs.get(name, str(meta.get("default", ""))) for name, meta in spec["inputs"].items()}
    summary = runner_temp / "step_summary.md"
    summary.write_text("")
    job_bin = (job_python or Path(sys.executable)).parent
    base_env = {
        **os.environ,
        "PATH": os.pathsep.join([str(job_bin), os.environ.get("PATH", "")]),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
        **(runner_env or {}),
    }
    step_outputs: dict[str, dict[str, str]] = {}
    stdout = ""
    returncode = 0
    for number, step in enumerate(spec["runs"]["steps"]):
        if "uses" in step:
            assert step.get("if") == "inputs.python-version != ''" and not values["python-version"]
            continue
        output_file = runner_temp / f"output_{number}"
        output_file.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        env.update({k: EXPRESSION.sub(lambda m: values[m.group(1)], v) for k, v in step.get("env", {}).items()})
        cwd = workspace / EXPRESSION.sub(lambda m: values[m.group(1)], step.get("working-directory", "."))
        script = runner_temp / f"step_{number}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
        )
        stdout += done.stdout
        returncode = done.returncode
        step_outputs[step.get("id", str(number))] = parse_github_output(output_file.read_text())
        if returncode != 0:
            break
    outputs = {}
    for name, meta in spec["outputs"].items():
        step_id, key = re.fullmatch(r"\$\{\{\s*steps\.(\w+)\.outputs\.(\w+)\s*\}\}", meta["value"]).groups()  # type: ignore[union-attr]
        outputs[name] = step_outputs.get(step_id, {}).get(key, "")
    return ActionRun(returncode, stdout, outputs, summary.read_text())


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the runs below, as by steps of one job: the action's venv is built once."""
    return tmp_path_factory.mktemp("runner_temp")


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[str], Path]:
    """A checkout with the config in checks/ and an app folder beside it."""

    def make(config: str) -> Path:
        root = tmp_path / "workspace"
        (root / "checks").mkdir(parents=True)
        shutil.copy(APPS / "locked.py", root / "checks" / "locked.py")
        shutil.copy(APPS / "sleepy.py", root / "checks" / "sleepy.py")
        (root / "checks" / "burstcheck.yaml").write_text(config)
        return root

    return make


CONFIG = """\
app: {app}:app
endpoints: [{{path: '/?seconds=0.1'}}]
burst: {{requests: 6, repeats: 2, calibration_requests: 2}}
modes:
  - name: serial
    expect: serialized
  - name: threaded
    threaded: true
    expect: concurrent
"""


@pytest.mark.timeout(600)
def test_passing_config(workspace: Callable[[str], Path], runner_temp: Path) -> None:
    root = workspace(CONFIG.format(app="sleepy"))
    run = run_action({"config": "checks/burstcheck.yaml"}, root, runner_temp)
    assert run.returncode == 0, run.stdout
    assert run.outputs["verdict"] == "pass" and run.outputs["failed"] == "0"
    assert Path(run.outputs["report"]).is_file()
    assert "::error" not in run.stdout
    assert run.summary.startswith("## burstcheck: ✅ pass")


@pytest.mark.timeout(600)
def test_failing_config_annotates_the_expect_line(workspace: Callable[[str], Path], runner_temp: Path) -> None:
    root = workspace(CONFIG.format(app="locked"))
    run = run_action(
        {
            "config": "burstcheck.yaml",
            "working-directory": "checks",
            "modes": "threaded",
            "args": "--quick --junit j.xml",
        },
        root,
        runner_temp,
    )
    assert run.returncode == 1, run.stdout
    assert run.outputs == {"verdict": "fail", "report": str(runner_temp / "burstcheck-report.json"), "failed": "1"}
    assert json.loads(Path(run.outputs["report"]).read_text())["verdict"] == "fail"
    expect_line = CONFIG.splitlines().index("    expect: concurrent") + 1
    assert f"::error file=checks/burstcheck.yaml,line={expect_line},title=burstcheck fail%3A threaded" in run.stdout
    assert "requests ran one after another" in run.summary and "| ❌ fail | threaded |" in run.summary
    assert "| serial |" not in run.summary  # --modes reached burstcheck
    assert (root / "checks" / "j.xml").is_file()  # and so did the extra args


@pytest.mark.timeout(900)
def test_the_jobs_python_runs_the_app_with_its_own_dependencies(
    workspace: Callable[[str], Path], runner_temp: Path, app_python: Path
) -> None:
    root = workspace(CONFIG.format(app="needs_pkg").replace("'/?seconds=0.1'", "'/?ms=100'"))
    shutil.copy(APPS / "envapp" / "needs_pkg.py", root / "checks" / "needs_pkg.py")
    run = run_action({"config": "checks/burstcheck.yaml"}, root, runner_temp, job_python=app_python)
    assert run.returncode == 0, run.stdout
    report = json.loads(Path(run.outputs["report"]).read_text())
    assert {r["python"] for r in report["results"]} == {f"{app_python} (the job's python (BURSTCHECK_DEFAULT_PYTHON))"}
    # The input `python` wins over everything: here an environment without the app's package.
    run = run_action({"config": "checks/burstcheck.yaml", "python": sys.executable}, root, runner_temp, app_python)
    assert run.returncode == 3 and "No module named 'greeting'" in run.stdout


@pytest.mark.timeout(600)
def test_config_error_is_annotated_and_exits_2(workspace: Callable[[str], Path], runner_temp: Path) -> None:
    root = workspace(CONFIG.format(app="sleepy").replace("requests: 6", "requests: 1"))
    run = run_action({"config": "checks/burstcheck.yaml"}, root, runner_temp)
    assert run.returncode == 2
    assert "::error file=checks/burstcheck.yaml,line=3,title=burstcheck%3A invalid config::burst.requests" in run.stdout


def test_inputs_reach_scripts_only_through_env() -> None:
    for step in action()["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS, DEPENDABOT], ids=lambda p: p.name)
def test_zizmor_finds_nothing(path: Path) -> None:
    # zizmor is a binary installed beside this interpreter (the test extra), not an importable module.
    zizmor = Path(sys.executable).parent / "zizmor"
    done = subprocess.run([str(zizmor), "--offline", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "paths"),
    [("vendor.github-actions", [ACTION]), ("vendor.github-workflows", WORKFLOWS), ("vendor.dependabot", [DEPENDABOT])],
    ids=["action", "workflows", "dependabot"],
)
def test_files_match_the_github_schemas(schema: str, paths: list[Path]) -> None:
    assert paths
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_hold_least_privilege_and_drop_credentials() -> None:
    names = set()
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        names.add(path.name)
        assert workflow["permissions"] == {}
        for job in workflow["jobs"].values():
            permissions = job["permissions"]  # every job says what it needs, nothing is inherited
            assert set(permissions) <= {"contents", "pull-requests", "id-token"}
            if permissions.get("contents") == "write" or "id-token" in permissions:
                assert path.name == "release.yml"  # publishing and the major tag (tests/integrations/test_release.py)
            if "pull-requests" in permissions:  # only where a step posts the comment
                assert permissions["pull-requests"] == "write"
                assert any(str(step.get("with", {}).get("comment")) != "None" for step in job["steps"])
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
    assert {"ci.yml", "self-test.yml", "concurrency.yml", "matrix.yml", "release.yml"} <= names
    self_test = (REPO / ".github" / "workflows" / "self-test.yml").read_text()
    assert "uses: ./" in self_test and "continue-on-error: true" in self_test
    assert "bash .ci/run" in (REPO / ".github" / "workflows" / "ci.yml").read_text()


@pytest.mark.timeout(600)
def test_main_saves_a_baseline_and_a_pull_request_compares_and_comments(
    workspace: Callable[[str], Path], runner_temp: Path, tmp_path: Path
) -> None:
    """The README's workflow in two jobs: main saves its report where actions/cache keeps it; a pull request
    restores it, compares, and comments through the REST API (a loopback stand-in for GitHub)."""
    root = workspace(CONFIG.format(app="sleepy"))
    inputs = {"config": "checks/burstcheck.yaml", "baseline": ".burstcheck/baseline.json", "modes": "threaded"}
    main = run_action({**inputs, "save-baseline": "true"}, root, runner_temp)
    assert main.returncode == 0, main.stdout
    assert "no baseline at .burstcheck/baseline.json yet" in main.stdout
    saved = json.loads((root / ".burstcheck" / "baseline.json").read_text())
    assert saved["verdict"] == "pass" and saved["results"][0]["mode"] == "threaded"

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"repo": {"full_name": "acme/shop"}}}}))
    with fake_github() as api:
        env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "acme/shop", "GITHUB_API_URL": api.url}
        pull = run_action({**inputs, "comment": "true", "github-token": "t0ken"}, root, runner_temp, runner_env=env)
    assert pull.returncode == 0, pull.stdout
    assert "baseline .burstcheck/baseline.json (a drop of more than 25% is a regression):" in pull.stdout
    assert "burstcheck: posted a comment on pull request #3" in pull.stdout
    (posted,) = [body for method, _, body, auth in api.received if method == "POST" and auth == "Bearer t0ken"]
    assert posted is not None and "<summary>Compared with the baseline</summary>" in posted["body"]
    assert "| ✅ pass | threaded |" in posted["body"]


def test_the_docs_show_the_workflows_that_run_here() -> None:
    """The docs' baseline and matrix workflows are these files, verbatim: what they show is what is tested."""
    readme = (REPO / "docs" / "github-actions.md").read_text()
    for name in ("concurrency.yml", "matrix.yml"):
        text = (REPO / ".github" / "workflows" / name).read_text()
        assert f"```yaml\n{text}```" in readme, name


@pytest.mark.timeout(600)
def test_a_matrix_of_modes_merges_into_one_report(
    workspace: Callable[[str], Path], runner_temp: Path, tmp_path: Path
) -> None:
    root = workspace(CONFIG.format(app="locked"))
    for mode in ("serial", "threaded"):  # two jobs of the matrix, each keeping its report (the artifact)
        job = run_action({"config": "checks/burstcheck.yaml", "modes": mode, "args": "--quick"}, root, runner_temp)
        assert job.returncode in (0, 1), job.stdout
        (root / "reports" / mode).mkdir(parents=True)
        shutil.copy(job.outputs["report"], root / "reports" / mode / "burstcheck-report.json")
    merged = run_action({"merge": "reports/*/burstcheck-report.json"}, root, runner_temp)
    assert merged.returncode == 1, merged.stdout  # `threaded` on a locked app fails, in the merged verdict too
    report = json.loads(Path(merged.outputs["report"]).read_text())
    assert sorted(r["mode"] for r in report["results"]) == ["serial", "threaded"]
    assert merged.outputs["verdict"] == "fail" and merged.outputs["failed"] == "1"
    assert merged.summary.count("## burstcheck:") == 1 and "| ❌ fail | threaded |" in merged.summary
    nothing = run_action({"merge": "missing/*.json"}, root, runner_temp)
    assert nothing.returncode == 2


@pytest.mark.timeout(900)
def test_the_config_init_wrote_locally_runs_unchanged_in_the_action(
    runner_temp: Path, sample_envs: SampleEnvs, tmp_path: Path
) -> None:
    """The documented python: story: init writes no python:, so a .venv beside the config runs the app on a
    laptop, and in CI (a checkout without .venv) the job's python, where the workflow installed the app."""
    project = sample_envs.project("flask_shop", tmp_path / "workspace")
    init = subprocess.run(
        [sys.executable, "-m", "checker", "init", "--app", "shop:app"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    job_python = (project / ".venv").resolve() / "bin" / "python"
    (project / ".venv").unlink()  # a checkout has no virtualenv: the job installs into its python
    run = run_action({"config": "burstcheck.yaml", "args": "--quick"}, project, runner_temp, job_python=job_python)
    assert run.returncode == 0, run.stdout
    report = json.loads(Path(run.outputs["report"]).read_text())
    assert {r["python"] for r in report["results"]} == {f"{job_python} (the job's python (BURSTCHECK_DEFAULT_PYTHON))"}
