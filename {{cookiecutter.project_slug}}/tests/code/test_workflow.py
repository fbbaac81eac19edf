"""Least privilege in the Pipeline workflow: the job that runs the pull request's code holds
no write token; the job that comments runs none of it, and needs nothing installed."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE_SHA = "$" + "{" * 2 + " github.event.pull_request.base.sha }}"  # this file is a template


def jobs() -> dict:
    workflow = ROOT / ".github" / "workflows" / "pipeline.yml"
    return yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]


def test_the_job_running_the_pull_request_cannot_write():
    job = jobs()["pipeline"]
    assert job["permissions"]["contents"] == "read"
    assert set(job["permissions"]) <= {"contents", "id-token"}  # id-token: S3 through OIDC
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "uv sync --locked" in runs
    assert "dvc repro" in runs


def test_the_commenting_job_runs_no_code_of_the_pull_request():
    job = jobs()["comment"]
    assert job["needs"] == "pipeline"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["ref"] == BASE_SHA
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs
    for run in runs:
        assert "uv " not in run
        assert "dvc " not in run
        assert run.lstrip().startswith(("python3 -m", 'found="'))
    assert "cancelled()" in job["if"]  # also after a failed pipeline job: never a stale report


def test_what_runs_without_an_install_needs_the_standard_library_only():
    """Every `python3 -m <module>` of the workflows (no `uv run`: nothing installed) imports
    under python -S: no site-packages at all, only the standard library and src/."""
    text = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / ".github" / "workflows").glob("*.yml")
    )
    modules = sorted(set(re.findall(r"(?<!run )python3 -m ([\w.]+)", text)))
    assert "mlops_kit.github.comment" in modules, modules
    code = f"import {', '.join(modules)}; print('ok')"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout == "ok\n", result.stderr
