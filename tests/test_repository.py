"""This repository's own hygiene: its pre-commit hooks and its CI workflow."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import yaml
from conftest import BIN, TEMPLATE, isolated_env

WORKFLOW = TEMPLATE / ".github" / "workflows" / "template-tests.yml"


def tracked_files() -> list[str]:
    """Files git tracks or would track (new, not ignored) in this repository."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listing.split("\0") if name and (TEMPLATE / name).is_file()]


def test_own_pre_commit_hooks_pass_and_change_nothing(tmp_path: Path):
    copy = tmp_path / "repo"
    for name in tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / name, copy / name)
    env = isolated_env(tmp_path / "home")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=copy, env=env, capture_output=True, text=True, check=True
        ).stdout

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "copy")
    run = subprocess.run(
        [BIN / "pre-commit", "run", "--all-files", "--show-diff-on-failure", "--color=never"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "zizmor" in run.stdout  # the workflows were audited, not skipped
    assert git("status", "--porcelain") == ""


def test_own_hooks_pin_the_tools_the_tests_use():
    config = yaml.safe_load((TEMPLATE / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    project = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = dict(
        r.split("==") for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]
    )
    for repo in config["repos"]:
        assert repo["repo"] == "local"
        for hook in repo["hooks"]:
            assert hook["language"] == "python", hook["id"]
            for requirement in hook["additional_dependencies"]:
                name, version = requirement.split("==")
                if name in pins:
                    assert pins[name] == version, f"{hook['id']}: {requirement} vs {pins[name]}"


def test_ci_runs_every_python_a_generated_project_can_ask_for():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    offered = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))[
        "python_version"
    ]
    fast = workflow["jobs"]["fast"]
    assert sorted(fast["strategy"]["matrix"]["python"]) == sorted(offered)
    assert fast["steps"][-1]["run"] == 'python3 tasks.py test -m "not slow"'
    full = workflow["jobs"]["full"]
    assert set(full["strategy"]["matrix"]["python"]) == {min(offered), max(offered)}
    assert full["steps"][-1]["run"] == ".ci/run"
    # Least privilege: nothing at the top, read-only contents for each job.
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
