"""The release workflow (.github/workflows/release.yml) as a runner runs it, up to the publishing: its build job's
steps in bash, in a copy of this checkout, with a clean Python as actions/setup-python gives; then what the
publishing and release jobs are allowed to do."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker import __version__
from tests.conftest import REPO

sys.path.insert(0, str(REPO / ".github" / "scripts"))  # the release workflow's scripts, as it runs them
import changelog_notes

RELEASE = REPO / ".github" / "workflows" / "release.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_TIMEOUT_S = 600  # a step installs packages from the index: slow on a busy machine, never endless


def workflow() -> dict[Any, Any]:
    return yaml.safe_load(RELEASE.read_text())  # type: ignore[no-any-return]


@dataclass
class JobRun:
    failed_step: str | None = None  # the name of the step that failed, as the runner shows it
    output: dict[str, str] = field(default_factory=dict)  # stdout and stderr of each step that ran, by name
    artifacts: dict[str, Path] = field(default_factory=dict)


def checkout(destination: Path) -> Path:
    """What actions/checkout puts in the workspace: the files git tracks or would track (nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in this tree is not in the checkout either
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def run_job(name: str, tag: str, tmp_path: Path) -> JobRun:
    """Run one job's steps like the runner: `run:` steps in bash -eo pipefail, expressions from the context below
    (an unknown one fails the test), the known actions emulated, anything else refused."""
    workspace = checkout(tmp_path / "workspace")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    context = {"github.ref_name": tag, "runner.temp": str(runner_temp)}

    def expand(text: str) -> str:
        return EXPRESSION.sub(lambda match: context[match.group(1)], text)

    # actions/setup-python: a Python of its own on PATH, with nothing installed in it.
    setup_python = runner_temp / "setup-python"
    subprocess.run([sys.executable, "-m", "venv", str(setup_python)], check=True, timeout=120)
    job = workflow()["jobs"][name]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(setup_python / "bin"), os.environ.get("PATH", "")]),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REF_NAME": tag,
        "GITHUB_REPOSITORY": "acme/burstcheck",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(runner_temp / "step_summary.md"),
        **{key: expand(value) for key, value in job.get("env", {}).items()},
    }
    env.pop("VIRTUAL_ENV", None)
    run = JobRun()
    for number, step in enumerate(job["steps"]):
        uses = step.get("uses", "")
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            continue  # done above
        if uses.startswith("actions/upload-artifact@"):
            path = workspace / expand(step["with"]["path"])
            assert path.exists(), f"artifact {step['with']['name']}: nothing at {path}"
            run.artifacts[step["with"]["name"]] = path
            continue
        assert set(step) <= {"name", "run", "env"}, f"a step this emulation does not know: {step}"
        assert "${{" not in step["run"], "values reach scripts through env:, not by expansion into the script"
        script = runner_temp / f"step_{number}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**env, **{key: expand(value) for key, value in step.get("env", {}).items()}},
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
        )
        run.output[step["name"]] = done.stdout + done.stderr
        if done.returncode != 0:
            run.failed_step = step["name"]
            break
    return run


@pytest.mark.e2e
@pytest.mark.timeout(1800)
def test_the_build_job_builds_checks_and_runs_the_demo_from_the_wheel(tmp_path: Path) -> None:
    tag = f"v{__version__}"
    run = run_job("build", tag, tmp_path)
    assert run.failed_step is None, f"{run.failed_step}:\n{run.output[run.failed_step or ''][-4000:]}"
    dist = run.artifacts["dist"]
    built = sorted(p.name for p in dist.iterdir())
    assert built == [f"burstcheck-{__version__}-py3-none-any.whl", f"burstcheck-{__version__}.tar.gz"]
    checks = run.output["Check the distributions (metadata, version, contents)"]
    assert checks.count("PASSED") == 2 and "package files, license and command as expected" in checks
    demo = run.output["The wheel runs the demo in a clean virtualenv"]
    assert "verdict: pass (3 met, 0 missed" in demo
    assert re.search(rf"Successfully installed .*\bburstcheck-{re.escape(__version__)}\b", demo)  # from the wheel
    notes = run.artifacts["release-notes"].read_text()
    assert notes == changelog_notes.section((REPO / "CHANGELOG.md").read_text(), __version__)
    assert "## [" not in notes and "]: https://" not in notes  # its own section only, without link definitions


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_a_tag_without_changelog_notes_stops_before_anything_is_built(tmp_path: Path) -> None:
    run = run_job("build", "v999.0.0", tmp_path)
    assert run.failed_step == "The changelog has notes for this version"
    assert "::error title=changelog::CHANGELOG.md has no section for 999.0.0" in run.output[run.failed_step]
    assert "dist" not in run.artifacts and not (tmp_path / "workspace" / "dist").exists()


def test_the_release_runs_on_version_tags_only_and_one_at_a_time() -> None:
    spec = workflow()
    assert spec[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}  # YAML reads the key `on` as true
    assert spec["concurrency"]["cancel-in-progress"] is False


def test_only_the_publishing_job_holds_an_oidc_token_and_runs_nothing_but_the_publisher() -> None:
    jobs = workflow()["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "publish": {"id-token": "write"},
        "github-release": {"contents": "write"},
    }
    publish = jobs["publish"]
    assert publish["needs"] == "build" and publish["environment"]["name"] == "pypi"
    uses = [step["uses"].split("@")[0] for step in publish["steps"]]
    assert uses == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert "with" not in publish["steps"][-1]  # no password: trusted publishing
    assert "secrets." not in RELEASE.read_text()


def test_the_job_that_can_push_runs_no_code_from_outside_this_commit() -> None:
    """`contents: write` moves the Action's major tag: the checkout keeps no credentials, no package is installed,
    and the token reaches only the two steps that call GitHub, through their env."""
    job = workflow()["jobs"]["github-release"]
    assert job["needs"] == "publish"  # PyPI has the release before GitHub announces it or `v1` moves
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        elif uses:
            assert uses.startswith("actions/download-artifact@")
        else:
            assert "pip" not in step["run"] and "install" not in step["run"]
            assert set(step["env"].values()) == {"${{ github.token }}"}
    assert [s["run"].split()[:2] for s in job["steps"] if "run" in s] == [
        ["gh", "release"],
        ["python3", ".github/scripts/move_major_tag.py"],
    ]
