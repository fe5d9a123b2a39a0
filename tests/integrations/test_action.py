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

from tests.cli.test_merge import split_reports
from tests.conftest import APPS, REPO, SampleEnvs, fresh_venv
from tests.reports.test_pr_comment import fake_github

pytestmark = pytest.mark.e2e  # boots real servers or runs the CLI

ACTION = REPO / "action.yml"
WORKFLOWS_DIR = REPO / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
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
    job_python: Path,
    runner_env: dict[str, str] | None = None,
) -> ActionRun:
    """Run action.yml's steps like a runner: inputs only through `env:`/`working-directory:` expressions.

    `job_python` is the job's `python` on PATH: a fresh venv with only what the job installed (the app's
    packages), as setup-python and `pip install -r requirements.txt` leave it; the action's own `python-version`
    input (its setup-python step) stands for the same."""
    spec = action()
    values = {name: inputs.get(name, str(meta.get("default", ""))) for name, meta in spec["inputs"].items()}
    summary = runner_temp / "step_summary.md"
    summary.write_text("")
    base_env = {
        **os.environ,
        "PATH": os.pathsep.join([str(job_python.parent), os.environ.get("PATH", "")]),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
        **(runner_env or {}),
    }
    base_env.pop("VIRTUAL_ENV", None)  # a runner has no virtualenv active
    step_outputs: dict[str, dict[str, str]] = {}
    stdout = ""
    returncode = 0
    for number, step in enumerate(spec["runs"]["steps"]):
        if "uses" in step:
            assert step.get("if") == "inputs.python-version != ''"  # setup-python: `job_python` stands for it
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
        stdout += done.stdout + done.stderr
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
def job_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The job's python of the tests below: what their job installed for the apps in checks/ (werkzeug, the
    server of their modes) and nothing else - neither Flask nor burstcheck's package."""
    return fresh_venv(tmp_path_factory.mktemp("job-python") / "venv", "werkzeug")


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
def test_passing_config(workspace: Callable[[str], Path], runner_temp: Path, job_python: Path) -> None:
    root = workspace(CONFIG.format(app="sleepy"))
    run = run_action({"config": "checks/burstcheck.yaml"}, root, runner_temp, job_python)
    assert run.returncode == 0, run.stdout
    assert run.outputs["verdict"] == "pass" and run.outputs["failed"] == "0"
    assert Path(run.outputs["report"]).is_file()
    assert "::error" not in run.stdout
    assert run.summary.startswith("## burstcheck: ✅ pass")


@pytest.mark.timeout(600)
def test_failing_config_annotates_the_expect_line(
    workspace: Callable[[str], Path], runner_temp: Path, job_python: Path
) -> None:
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
        job_python,
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
def test_config_error_is_annotated_and_exits_2(
    workspace: Callable[[str], Path], runner_temp: Path, job_python: Path
) -> None:
    root = workspace(CONFIG.format(app="sleepy").replace("requests: 6", "requests: 1"))
    run = run_action({"config": "checks/burstcheck.yaml"}, root, runner_temp, job_python)
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


def test_the_docs_show_the_workflows_that_run_here() -> None:
    """The docs' baseline and matrix workflows are these files, verbatim: what they show is what is tested."""
    readme = (REPO / "docs" / "github-actions.md").read_text()
    for name in ("concurrency.yml", "matrix.yml"):
        text = (REPO / ".github" / "workflows" / name).read_text()
        assert f"```yaml\n{text}```" in readme, name


@pytest.mark.timeout(600)
def test_merge_joins_a_matrix_and_fails_with_its_worst_verdict(
    runner_temp: Path, tmp_path: Path, job_python: Path
) -> None:
    """The merge input on two jobs' reports (one with a failed mode): one verdict, one summary, every output.
    The jobs themselves run in test_the_matrix_workflow_joins_its_jobs_into_one_comment."""
    for number, path in enumerate(split_reports(tmp_path), start=1):
        (tmp_path / "reports" / f"job{number}").mkdir(parents=True)
        shutil.copy(path, tmp_path / "reports" / f"job{number}" / "burstcheck-report.json")
    merged = run_action({"merge": "reports/*/burstcheck-report.json"}, tmp_path, runner_temp, job_python)
    assert merged.returncode == 1, merged.stdout  # `locked` failed in job 1, and the merged verdict with it
    report = json.loads(Path(merged.outputs["report"]).read_text())
    assert [r["mode"] for r in report["results"]] == ["threaded", "locked", "broken", "pooled"]
    assert merged.outputs["verdict"] == "fail" and merged.outputs["failed"] == "1"
    assert merged.summary.count("## burstcheck:") == 1 and "| ❌ fail | locked |" in merged.summary
    nothing = run_action({"merge": "missing/*.json"}, tmp_path, runner_temp, job_python)
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


@pytest.mark.timeout(600)
def test_save_baseline_runs_whatever_the_verdict(
    workspace: Callable[[str], Path], runner_temp: Path, job_python: Path
) -> None:
    """Issue 19 item 13: the runner runs the step with `bash -e`; a failing run must still save main's report."""
    root = workspace(CONFIG.format(app="locked"))
    inputs = {"config": "checks/burstcheck.yaml", "modes": "threaded", "args": "--quick"}
    run = run_action(
        {**inputs, "baseline": ".burstcheck/baseline.json", "save-baseline": "true"}, root, runner_temp, job_python
    )
    assert run.returncode == 1, run.stdout  # the step still fails with burstcheck's exit code
    saved = json.loads((root / ".burstcheck" / "baseline.json").read_text())
    assert saved["verdict"] == "fail"


# --- this repository's own workflows, job by job, as a runner runs them ---------------------------------------

WORKFLOW_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class StepRun:
    outcome: str  # success, failure or skipped
    outputs: dict[str, str]
    log: str


@dataclass
class Runner:
    """Runs a workflow's jobs the way GitHub does, with the few actions this repository's workflows use played
    locally (checkout, setup-python, cache, artifacts) and the action under test run by run_action."""

    workspace: Path
    runner_temp: Path
    job_python: Path  # what setup-python gives: a fresh venv, with what the workflow's steps install
    event_name: str
    event: dict[str, Any]
    env: dict[str, str]
    cache: dict[str, Path]
    artifacts: Path

    def run(self, workflow: Path) -> dict[str, dict[str, StepRun]]:
        """Every job (each matrix value a job of its own), in order: job name -> step id -> what it did."""
        spec = yaml.safe_load(workflow.read_text())
        done: dict[str, dict[str, StepRun]] = {}
        failed: set[str] = set()
        for name, job in spec["jobs"].items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if any(n in failed for n in needs) and job.get("if") != "always()":
                continue
            matrix = job.get("strategy", {}).get("matrix", {})
            combos = [{key: value} for key, values in matrix.items() for value in values] or [{}]
            for combo in combos:
                label = name + "".join(f"[{v}]" for v in combo.values())
                steps = self._job(job["steps"], combo)
                done[label] = steps
                if any(s.outcome == "failure" for s in steps.values() if not s.log.startswith("continue:")):
                    failed.add(name)
        return done

    def _job(self, steps: list[dict[str, Any]], matrix: dict[str, str]) -> dict[str, StepRun]:
        ran: dict[str, StepRun] = {}
        path = os.environ.get("PATH", "")
        job_failed = False
        for number, step in enumerate(steps):
            step_id = step.get("id", f"step{number}")
            context = {"steps": ran, "matrix": matrix, "failed": job_failed}
            condition = step.get("if", "success()")
            if not self._true(condition, context):
                ran[step_id] = StepRun("skipped", {}, "")
                continue
            # A YAML true in `with:` reaches the action as the string "true".
            inputs = {
                k: self._text(str(v).lower() if isinstance(v, bool) else str(v), context)
                for k, v in step.get("with", {}).items()
            }
            env = {k: self._text(str(v), context) for k, v in step.get("env", {}).items()}
            result = self._step(step, inputs, env, path)
            if step.get("uses", "").startswith("actions/setup-python@"):
                path = os.pathsep.join([str(self.job_python.parent), path])
            if result.outcome == "failure" and step.get("continue-on-error"):
                result.log = "continue:" + result.log
            elif result.outcome == "failure":
                job_failed = True
            ran[step_id] = result
        return ran

    def _step(self, step: dict[str, Any], inputs: dict[str, str], env: dict[str, str], path: str) -> StepRun:
        uses = step.get("uses", "")
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            return StepRun("success", {}, "")
        if uses.startswith("./"):
            # setup-python ran, in the job or in the action (input python-version): the job's python is on PATH.
            assert str(self.job_python.parent) in path or inputs.get("python-version"), "the job has no python"
            run = run_action(inputs, self.workspace, self.runner_temp, self.job_python, self.env)
            return StepRun("success" if run.returncode == 0 else "failure", run.outputs, run.stdout)
        if uses.startswith("actions/cache/restore@"):
            keys = [inputs["key"], *inputs.get("restore-keys", "").split()]
            found = next((self.cache[k] for key in keys for k in sorted(self.cache) if k.startswith(key)), None)
            if found is not None:
                (self.workspace / inputs["path"]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(found, self.workspace / inputs["path"])
            return StepRun("success", {"cache-hit": str(found is not None).lower()}, "")
        if uses.startswith("actions/cache/save@"):
            kept = self.artifacts / "cache" / inputs["key"]
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.workspace / inputs["path"], kept)
            self.cache[inputs["key"]] = kept
            return StepRun("success", {}, "")
        if uses.startswith("actions/upload-artifact@"):
            source = self.workspace / inputs["path"]
            (self.artifacts / inputs["name"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(source, self.artifacts / inputs["name"] / source.name)
            return StepRun("success", {}, "")
        if uses.startswith("actions/download-artifact@"):
            for folder in sorted(self.artifacts.glob(inputs["pattern"])):
                shutil.copytree(folder, self.workspace / inputs["path"] / folder.name, dirs_exist_ok=True)
            return StepRun("success", {}, "")
        assert "run" in step, f"no emulation for {uses}"
        script = self.runner_temp / "workflow_step.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, **self.env, "PATH": path, **env},
            cwd=self.workspace,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return StepRun("success" if done.returncode == 0 else "failure", {}, done.stdout + done.stderr)

    def _value(self, expression: str, context: dict[str, Any]) -> Any:
        """The few expressions these workflows use: contexts, ==, &&, always(), success()."""
        if "&&" in expression:
            return all(self._value(part.strip(), context) for part in expression.split("&&"))
        if "==" in expression:
            left, right = (part.strip() for part in expression.split("==", 1))
            return self._value(left, context) == right.strip("'")
        if expression == "always()":
            return True
        if expression == "success()":
            return not context["failed"]
        parts = expression.split(".")
        if parts[0] == "steps":
            step = context["steps"].get(parts[1])
            if step is None:
                return ""
            return step.outcome.removeprefix("continue:") if parts[2] == "outcome" else step.outputs.get(parts[3], "")
        if parts[0] == "matrix":
            return context["matrix"].get(parts[1], "")
        if expression == "github.event_name":
            return self.event_name
        if expression == "github.sha":
            return "0" * 40
        if parts[:2] == ["github", "event"]:
            value: Any = self.event
            for part in parts[2:]:
                value = value.get(part, {}) if isinstance(value, dict) else ""
            return value if value != {} else ""
        raise AssertionError(f"no emulation for the expression {expression!r}")

    def _true(self, condition: str, context: dict[str, Any]) -> bool:
        expression = WORKFLOW_EXPRESSION.fullmatch(condition.strip())
        value = self._value(expression.group(1) if expression else condition.strip(), context)
        if "always()" not in condition and "success()" not in condition and context["failed"]:
            return False
        return bool(value)

    def _text(self, text: str, context: dict[str, Any]) -> str:
        def substitute(match: re.Match[str]) -> str:
            value = self._value(match.group(1), context)
            return str(value).lower() if isinstance(value, bool) else str(value)

        return WORKFLOW_EXPRESSION.sub(substitute, text)


@pytest.fixture(scope="module")
def workflow_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What setup-python gives this repository's workflows: a fresh venv (their steps install the rest)."""
    return fresh_venv(tmp_path_factory.mktemp("workflow-python") / "venv")


def runner(tmp_path: Path, runner_temp: Path, python: Path, event_name: str, **env: str) -> Runner:
    """A checkout of this repository's configs, and a runner for one event."""
    checkout = tmp_path / "checkout"
    if not checkout.exists():
        shutil.copytree(REPO / "configs", checkout / "configs")
    event = {"pull_request": {"number": 5, "base": {"sha": "1" * 40}, "head": {"repo": {"full_name": "acme/shop"}}}}
    return Runner(
        workspace=checkout,
        runner_temp=runner_temp,
        job_python=python,
        event_name=event_name,
        event=event if event_name == "pull_request" else {},
        env={"GITHUB_REPOSITORY": "acme/shop", **env},
        cache={},
        artifacts=tmp_path / "artifacts",
    )


def assert_succeeded(jobs: dict[str, dict[str, StepRun]]) -> None:
    for name, steps in jobs.items():
        for step_id, step in steps.items():
            assert step.outcome != "failure" or step.log.startswith("continue:"), f"{name} {step_id}:\n{step.log}"


@pytest.mark.timeout(900)
def test_the_self_test_workflow_passes_with_only_what_it_installs(
    tmp_path: Path, runner_temp: Path, workflow_python: Path
) -> None:
    """Issue 19 item 14: the job's python has what the workflow installs, not burstcheck's package."""
    jobs = runner(tmp_path, runner_temp, workflow_python, "push").run(WORKFLOWS_DIR / "self-test.yml")
    assert_succeeded(jobs)
    (steps,) = jobs.values()
    assert steps["passing"].outputs["verdict"] == "pass", steps["passing"].log
    assert steps["failing"].outcome == "failure"  # continue-on-error: the job goes on, and checks it


@pytest.mark.timeout(900)
def test_the_concurrency_workflow_keeps_mains_report_and_comments_on_a_pull_request(
    tmp_path: Path, runner_temp: Path, workflow_python: Path
) -> None:
    """The README's workflow in two runs: main saves its report where actions/cache keeps it; a pull request
    restores it, compares, and comments through the REST API (a loopback stand-in for GitHub)."""
    push = runner(tmp_path, runner_temp, workflow_python, "push")
    jobs = push.run(WORKFLOWS_DIR / "concurrency.yml")
    assert_succeeded(jobs)
    (main,) = jobs.values()
    assert "no baseline at .burstcheck/baseline.json yet" in "".join(step.log for step in main.values())
    saved = json.loads(push.cache["burstcheck-baseline-" + "0" * 40].read_text())
    assert saved["verdict"] == "pass" and [r["mode"] for r in saved["results"]] == ["serial", "threaded", "forked"]
    with fake_github() as api:
        pull = runner(tmp_path, runner_temp, workflow_python, "pull_request", GITHUB_API_URL=api.url)
        pull.cache = push.cache  # main's cache entries are visible to pull requests
        (tmp_path / "event.json").write_text(json.dumps(pull.event))
        pull.env["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
        pull_jobs = pull.run(WORKFLOWS_DIR / "concurrency.yml")
        assert_succeeded(pull_jobs)
    (steps,) = pull_jobs.values()
    log = "".join(step.log for step in steps.values())
    assert "baseline .burstcheck/baseline.json (a drop of more than 25% is a regression):" in log
    assert "burstcheck: posted a comment on pull request #5" in log
    (comment,) = api.comments
    assert "<summary>Compared with the baseline</summary>" in comment["body"]
    assert "| ✅ pass | threaded |" in comment["body"]
    assert (tmp_path / "artifacts" / "burstcheck-report" / "burstcheck-report.html").is_file()


@pytest.mark.timeout(900)
def test_the_matrix_workflow_joins_its_jobs_into_one_comment(
    tmp_path: Path, runner_temp: Path, workflow_python: Path
) -> None:
    with fake_github() as api:
        pull = runner(tmp_path, runner_temp, workflow_python, "pull_request", GITHUB_API_URL=api.url)
        (tmp_path / "event.json").write_text(json.dumps(pull.event))
        pull.env["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
        jobs = pull.run(WORKFLOWS_DIR / "matrix.yml")
    assert_succeeded(jobs)
    assert sorted(jobs) == ["merge", "modes[forked]", "modes[serial]", "modes[threaded]"]
    (comment,) = api.comments
    for mode in ("serial", "threaded", "forked"):
        assert f"| ✅ pass | {mode} |" in comment["body"]


def test_the_workflows_demo_config_is_the_bundled_demo() -> None:
    """configs/demo.yaml is the bundled demo with its app beside it (so any job python with Flask runs it)."""
    bundled = (REPO / "checker" / "demo" / "burstcheck.yaml").read_text().splitlines()
    beside = (REPO / "configs" / "demo.yaml").read_text().splitlines()
    differ = {line for line in set(bundled) ^ set(beside) if not line.startswith("#")}
    assert differ == {"app: checker.demo.app:app", "app: demo_app:app", "app_dir: apps"}
    apps = ("checker/demo/app.py", "configs/apps/demo_app.py")
    code = [(REPO / p).read_text().split("from __future__ import annotations\n", 1)[1] for p in apps]
    assert code[0] == code[1]  # the same app, its docstring aside
