"""Slow tier: install generated projects and run their pipelines and tests for real."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, bake, isolated_env, set_param
from custom_data import write_churn_csv, write_csv
from test_owner_edits import judged_by_the_owners_files

pytestmark = pytest.mark.slow

CASES = {
    "breast_cancer": {},
    "wine": {"dataset": "wine", "python_version": "3.12"},
    "diabetes": {"dataset": "diabetes", "python_version": "3.11"},
    "custom-csv": {
        "dataset": "custom",
        "custom_target": "churned",
        "custom_task": "classification",
    },
}
# Cases whose project is set up with no uv on PATH (tasks.py installs one with pip first).
WITHOUT_UV = {"diabetes"}
# Cases that run only the project tests its own files can change: the unit tests are the
# breast_cancer case's, on the same Python, and test_owner_edits.py runs this project's
# without the owners' files.
OWNERS_TESTS_ONLY = {"custom-csv"}
RAN = re.compile(r"Running stage '([\w-]+)'")


class Project:
    """A baked project and the commands a user would run in it."""

    def __init__(self, root: Path, env: dict[str, str], *, uv: bool = True) -> None:
        self.root = root
        venv = root / ".venv"  # as `source .venv/bin/activate` would
        path = env["PATH"]
        if not uv:  # the template's tools, uv among them, are first on PATH: drop them
            path = os.pathsep.join(p for p in path.split(os.pathsep) if p != str(BIN))
        self.env = {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{path}"}
        self.timings: dict[str, float] = {}

    def run(self, *args: str, label: str | None = None) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        result = subprocess.run(
            args, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )
        if label:
            self.timings[label] = round(time.perf_counter() - start, 1)
        return result

    def dvc(self, *args: str, label: str | None = None) -> subprocess.CompletedProcess:
        return self.run(str(self.root / ".venv" / "bin" / "dvc"), *args, label=label)

    def repro(self, label: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        result = self.dvc("repro", label=label)
        return result, RAN.findall(result.stdout + result.stderr)

    def sha(self, rel: str) -> str:
        return hashlib.sha256((self.root / rel).read_bytes()).hexdigest()

    def set_param(self, dotted: str, value: object) -> None:
        set_param(self.root / "params.yaml", dotted, value)


def corrupt(source: Path, target: Path) -> str:
    """Copy a data file with one numeric column pushed far out of range; return the column."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    numeric = next(
        name
        for name, value in rows[0].items()
        if value and re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", value) and name != "target"
    )
    for row in rows[:5]:
        row[numeric] = "1e12"
    write_csv(target, rows)
    return numeric


def readme_numbers_are_this_run(root, metrics: dict) -> None:
    """The numbers the README's Explanations and Experiments sections quote are the ones this
    run wrote."""
    text = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    explain = json.loads((root / "reports" / "explain.json").read_text(encoding="utf-8"))
    top = max(f["importance"] for f in explain["features"])
    groups = sorted(explain["groups"], key=lambda g: -g["importance"])
    curve = explain["partial_dependence"][0]
    quoted = [
        f"importance was {top:.3f} of accuracy",
        f"on a model with {metrics['accuracy']:.3f} accuracy",
        f"the 30 columns made {len(groups)} groups",
        f"cost {groups[0]['importance']:.3f} ± {groups[0]['std']:.3f} of accuracy",
        f"{groups[1]['importance']:.3f} ± {groups[1]['std']:.3f}",
        f"falls from {curve['average'][0]:.2f} to {curve['average'][-1]:.2f}",
        f"as `{curve['feature']}` goes",
        f"goes from {curve['grid'][0]:.0f} to {curve['grid'][-1]:.0f}",
        # the Experiments section's sweep: its baseline row is this run's gated metrics
        "(baseline) "
        + " ".join(f"{metrics[m]:.4g}" for m in ("balanced_accuracy", "f1_macro", "roc_auc"))
        + f" {metrics['log_loss']:.4g}",
    ]
    for phrase in quoted:
        assert phrase in text, phrase


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_generated_project_end_to_end(tmp_path, case):
    answers = dict(CASES[case])
    if answers.get("dataset") == "custom":
        answers["custom_data_path"] = str(write_churn_csv(tmp_path / "incoming" / "churn.csv"))
    env = isolated_env(tmp_path / "home")
    baked = bake(tmp_path / "out", answers, env=env)
    assert baked.returncode == 0, baked.stderr
    project = Project(baked.project, env, uv=case not in WITHOUT_UV)

    # The README's first command: set up .venv and reproduce the pipeline.
    first = project.run(sys.executable, "tasks.py", "repro", label="setup + first repro")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert " sync --extra=dev " in first.stdout
    assert ("with pip first" in first.stdout) == (case in WITHOUT_UV)
    stages = ["ingest", "validate", "prepare", "train", "evaluate"]
    assert RAN.findall(first.stdout) == stages
    metrics = json.loads((project.root / "reports" / "metrics.json").read_text(encoding="utf-8"))
    sliced = json.loads((project.root / "reports" / "slices.json").read_text(encoding="utf-8"))
    if answers.get("dataset") == "diabetes":
        assert metrics["r2"] > 0.2
        [sex] = sliced["slices"]  # the bundled default: by sex, its two scaled codes
        assert (sex["column"], len(sex["values"])) == ("sex", 2)
        assert all(value["gated"] for value in sex["values"])
        assert sex["gaps"]["r2"]["low"] <= sex["gaps"]["r2"]["value"] <= sex["gaps"]["r2"]["high"]
    else:
        assert metrics["balanced_accuracy"] > 0.7
    if answers.get("dataset", "breast_cancer") == "breast_cancer":
        readme_numbers_are_this_run(project.root, metrics)
    validation = json.loads((project.root / "reports/validation.json").read_text(encoding="utf-8"))
    assert validation["success"] is True
    shown = project.dvc("metrics", "show", "--json")
    assert shown.returncode == 0
    assert "reports/metrics.json" in shown.stdout
    plots = project.dvc("plots", "show", "--json")
    assert plots.returncode == 0, plots.stderr
    assert "feature_importance" in plots.stdout

    status = project.dvc("status", label="dvc status")
    assert status.returncode == 0
    assert "up to date" in status.stdout, status.stdout

    noop, ran = project.repro("no-op repro")
    assert noop.returncode == 0
    assert ran == []

    project.set_param("train.random_forest.n_estimators", 50)
    changed, ran = project.repro("repro after a train param")
    assert changed.returncode == 0, changed.stderr
    assert ran == ["train", "evaluate"]

    selection = judged_by_the_owners_files(project.root) if case in OWNERS_TESTS_ONLY else []
    tests = project.run(sys.executable, "tasks.py", "test", "-q", *selection, label="project tests")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout

    # The project's own pre-commit hooks accept a real run: dvc.lock as DVC writes it,
    # uv.lock, the reports. Then DVC's post-checkout hook restores the outputs.
    install = project.run(str(project.root / ".venv" / "bin" / "pre-commit"), "install")
    assert install.returncode == 0, install.stdout + install.stderr
    assert project.run("git", "add", "--all").returncode == 0
    commit = project.run("git", "commit", "-m", "First pipeline run", label="commit with hooks")
    assert commit.returncode == 0, commit.stdout[-3000:] + commit.stderr[-3000:]
    assert "Data and pipelines are up to date" in commit.stdout + commit.stderr
    assert project.run("git", "status", "--porcelain").stdout == ""
    model = project.sha("models/model.joblib")
    (project.root / "models" / "model.joblib").unlink()
    switch = project.run("git", "switch", "-c", "experiment")
    assert switch.returncode == 0, switch.stdout + switch.stderr
    assert project.sha("models/model.joblib") == model

    # Corrupted raw data stops the pipeline at validate and no model is written.
    model_before = project.sha("models/model.joblib")
    if answers.get("dataset") == "custom":
        source = project.root / "data" / "external" / "dataset.csv"
        column = corrupt(source, source)
    else:
        import pandas as pd

        raw = tmp_path / "raw.csv"
        pd.read_parquet(project.root / "data/raw/data.parquet").to_csv(raw, index=False)
        column = corrupt(raw, project.root / "data/bad/raw.csv")
        project.set_param("ingest.source", "data/bad/raw.csv")
    broken, ran = project.repro("repro on corrupted data")
    assert broken.returncode != 0
    assert ran == ["ingest", "validate"]
    output = broken.stdout + broken.stderr
    assert "expect_column_values_to_be_between" in output
    assert f"'{column}'" in output
    assert project.sha("models/model.joblib") == model_before
    report = (project.root / "reports" / "validation.md").read_text(encoding="utf-8")
    assert column in report

    print(f"\n{case} timings (s): {json.dumps(project.timings)}")
