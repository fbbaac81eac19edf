"""Slow tier: DVC experiments in a generated project, as its README tells a user to run them.

`dvc exp run -S` then `dvc exp apply` changes only the key it set in params.yaml (a scalar,
a nested key, a list); the workspace goes back to HEAD with the README's command; a queued
sweep run by two workers, with one experiment that fails the gate and one that fails to run,
is judged by `python3 tasks.py experiments` as its pull requests would be; `dvc exp branch`
makes the branch a pull request is opened from.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import sys
import time

import pytest
import yaml
from conftest import bake, isolated_env
from test_pipeline import Project

pytestmark = pytest.mark.slow

# (what -S sets, the lines of params.yaml DVC's writer gives it)
ROUND_TRIPS = {
    "scalar": ("train.seed=7", ["  seed: 7  # the estimator's random_state"]),
    "nested": ("train.random_forest.n_estimators=50", ["    n_estimators: 50"]),
    "list": (
        'evaluate.slices=[{column:"mean radius",quantiles:4}]',
        [
            "  slices:  # e.g. [{column: mean radius, quantiles: 4}]",
            "  - column: mean radius",
            "    quantiles: 4",
        ],
    ),
}
RESTORE = ("git", "checkout", "HEAD", "--", "params.yaml", "dvc.lock", "reports")


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]


def expected_params(before: str, override: str) -> dict:
    expected = yaml.safe_load(before)
    *path, key = override.split("=")[0].split(".")
    node = expected
    for part in path:
        node = node[part]
    node[key] = yaml.safe_load(override.split("=", 1)[1].replace(":", ": "))
    return expected


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A breast_cancer project, set up and reproduced, its first run committed."""
    tmp = tmp_path_factory.mktemp("experiments")
    env = isolated_env(tmp / "home")
    baked = bake(tmp / "out", {}, env=env)
    assert baked.returncode == 0, baked.stderr
    project = Project(baked.project, env)
    first = project.run(sys.executable, "tasks.py", "repro", label="setup + first repro")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert project.run("git", "add", "--all").returncode == 0
    assert project.run("git", "commit", "-qm", "First pipeline run").returncode == 0
    yield project
    print(f"\ntimings (s): {json.dumps(project.timings)}")
    shutil.rmtree(tmp, ignore_errors=True)  # its .venv: the disk is shared by the whole run


def clean(project: Project) -> None:
    assert project.run("git", "status", "--porcelain").stdout == ""
    status = project.dvc("status")
    assert "up to date" in status.stdout, status.stdout


@pytest.mark.parametrize("kind", list(ROUND_TRIPS))
def test_an_applied_experiment_changes_only_its_key(project, kind):
    override, lines = ROUND_TRIPS[kind]
    params = project.root / "params.yaml"
    before = params.read_text(encoding="utf-8")
    ran = project.dvc("exp", "run", "-n", f"trip-{kind}", "-S", override, label=f"exp {kind}")
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    # Back to HEAD, as the README says, then the experiment brought back by name
    assert project.run(*RESTORE).returncode == 0
    assert project.dvc("checkout", "--quiet").returncode == 0
    clean(project)
    applied = project.dvc("exp", "apply", f"trip-{kind}")
    assert applied.returncode == 0, applied.stderr
    after = params.read_text(encoding="utf-8")
    changed = changed_lines(before, after)
    # DVC's writer keeps each comment where it was: a shorter value leaves more spaces before it
    added = [re.sub(r"\s+#", "  #", d[1:]) for d in changed if d.startswith("+")]
    assert added == lines, changed
    assert len([d for d in changed if d.startswith("-")]) == 1, changed
    assert yaml.safe_load(after) == expected_params(before, override)
    diff = project.run("git", "diff", "--stat").stdout
    assert "params.yaml" in diff
    assert project.run(*RESTORE).returncode == 0
    assert project.dvc("checkout", "--quiet").returncode == 0
    clean(project)


def test_a_queued_sweep_judged_as_its_pull_requests(project):
    queue = [
        ("depth", "train.random_forest.max_depth=2,4,8"),  # a sweep: depth-1, depth-2, depth-3
        ("tiny", "train.model=linear", "train.linear.C=0.0005"),  # fails the gate
        ("broken", "train.random_forest.max_depth=-3"),  # fails to run
    ]
    for name, *overrides in queue:
        sets = [arg for value in overrides for arg in ("-S", value)]
        queued = project.dvc("exp", "run", "--queue", "-n", name, *sets)
        assert queued.returncode == 0, queued.stderr
    start = project.dvc("queue", "start", "-j", "2", label="queue start")
    assert start.returncode == 0, start.stderr
    began, status = time.monotonic(), ""
    while time.monotonic() - began < 900:
        status = project.dvc("queue", "status").stdout
        if not any(word in status for word in ("Queued", "Running")):
            break
        time.sleep(3)
    project.timings["sweep of 5 with 2 workers"] = round(time.monotonic() - began, 1)
    assert "Failed" in status, status
    clean(project)  # the queue ran elsewhere: the workspace is HEAD's

    shown = project.run(
        sys.executable, "tasks.py", "experiments", "--markdown", "exps.md", "--json", "exps.json"
    )
    assert shown.returncode == 1, shown.stdout + shown.stderr
    print(shown.stdout)
    rows = {row["name"]: row for row in json.loads((project.root / "exps.json").read_text())}
    sweep = ["depth-1", "depth-2", "depth-3"]
    assert sorted(rows) == sorted(["tiny", *sweep, *(f"trip-{k}" for k in ROUND_TRIPS)])
    assert rows["tiny"]["passed"] is False
    assert "balanced_accuracy" in rows["tiny"]["regressions"]
    assert all(rows[name]["passed"] for name in sweep)
    assert rows["depth-1"]["params"] == [
        {"key": "train.random_forest.max_depth", "old": None, "new": 2}
    ]
    lines = shown.stdout.splitlines()
    for name in [*sweep, "tiny"]:  # each name whole, first on its row, with its verdict
        verdict = "FAIL" if name == "tiny" else "pass"
        assert len([line for line in lines if line.split()[:2] == [name, verdict]]) == 1, name
    assert "tiny fails the gate:" in lines
    assert "queue: broken Failed" in lines
    markdown = (project.root / "exps.md").read_text(encoding="utf-8")
    assert "| `tiny` | ❌ fails the gate |" in markdown

    only = project.run(sys.executable, "tasks.py", "experiments", "depth")
    assert only.returncode == 0, only.stdout + only.stderr
    assert "\n3 experiments run from" in only.stdout
    assert "queue:" not in only.stdout  # the failed run is not of that sweep
    failed = project.run(sys.executable, "tasks.py", "experiments", "broken")
    assert failed.returncode == 2
    assert failed.stderr == (
        "error: 'broken' has not finished in the queue (broken failed): `dvc queue status`, "
        "`dvc queue logs broken`\n"
    )

    # The winner kept as a branch: the pull request opened from it shows that one change
    branch = project.dvc("exp", "branch", "depth-3", "deeper-trees")
    assert branch.returncode == 0, branch.stderr
    diff = project.run("git", "diff", "main", "deeper-trees", "--", "params.yaml").stdout
    changed = [d for d in diff.splitlines() if d[:1] in "+-" and d[:3] not in ("+++", "---")]
    assert changed == [
        "-    max_depth:  # empty (null): no limit",
        "+    max_depth: 8 # empty (null): no limit",  # DVC's writer: one space before the comment
    ], diff
    assert project.run("git", "switch", "-q", "deeper-trees").returncode == 0
    compare = project.run(
        str(project.root / ".venv" / "bin" / "python"), "-m", "mlops_kit.comparison.compare",
        "--baseline", "main", "--metrics", "reports/metrics.json", "--out", "pr.json",
    )  # fmt: skip
    assert compare.returncode == 0, compare.stdout + compare.stderr
    pr = json.loads((project.root / "pr.json").read_text())
    assert pr["metrics"] == rows["depth-3"]["metrics"]
    assert pr["params"] == rows["depth-3"]["params"]
    assert project.run("git", "switch", "-q", "main").returncode == 0
