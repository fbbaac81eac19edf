"""Slow tier: a project whose data cannot train a model stops at validate, in one line, and
a failed stage's outputs come back with `dvc checkout`, as the generated README says."""

from __future__ import annotations

import sys

import pytest
from conftest import bake, isolated_env
from custom_data import churn_rows, write_csv
from test_pipeline import RAN, Project

pytestmark = pytest.mark.slow


def test_a_constant_target_stops_at_validate_and_no_model_is_written(tmp_path):
    rows = [{**row, "churned": "no"} for row in churn_rows()]
    data = write_csv(tmp_path / "incoming" / "churn.csv", rows)
    env = isolated_env(tmp_path / "home")
    answers = {
        "dataset": "custom",
        "custom_data_path": str(data),
        "custom_target": "churned",
        "custom_task": "classification",
    }
    baked = bake(tmp_path / "out", answers, env=env)
    assert baked.returncode == 0, baked.stderr
    project = Project(baked.project, env)

    first = project.run(sys.executable, "tasks.py", "repro", label="setup + repro")
    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert RAN.findall(output) == ["ingest", "validate"]
    assert "Traceback" not in output
    assert (
        "validation failed: expect_column_unique_value_count_to_be_between: target column "
        "'churned' has 1 class(es) ['no']; classification needs at least 2"
    ) in output
    assert "expect_column_value_counts_to_be_at_least" not in output  # one class, of 400 rows
    report = (project.root / "reports" / "validation.md").read_text(encoding="utf-8")
    assert "**FAILED**" in report
    assert "has 1 class(es)" in report
    assert not (project.root / "models" / "model.joblib").exists()
    assert not (project.root / "data" / "prepared").exists()

    # Learnable data and a suite rebuilt from it, as the README says: the whole pipeline
    # runs. Then a failing train loses the model (DVC deletes a stage's outputs before it
    # runs) and `dvc checkout` brings it back.
    write_csv(project.root / "data" / "external" / "dataset.csv", churn_rows())
    assert project.dvc("repro", "ingest").returncode == 0
    python = str(project.root / ".venv" / "bin" / "python")
    package = f"{project.root.name.replace('-', '_')}.suite"
    suite = ["-m", package, "--data", "data/raw/data.csv", "--out", "expectations/suite.json"]
    rebuilt = project.run(python, *suite)
    assert rebuilt.returncode == 0, rebuilt.stderr
    good, ran = project.repro("repro on learnable data")
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert ran == ["validate", "prepare", "train", "evaluate"]
    model = project.sha("models/model.joblib")
    project.set_param("train.model", "no_such_model")
    failed, ran = project.repro("repro with a failing train")
    assert failed.returncode != 0
    assert ran == ["train"]
    assert "error: params.yaml: train.model 'no_such_model' is unknown" in failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert not (project.root / "models" / "model.joblib").exists()
    restored = project.dvc("checkout")
    assert restored.returncode == 0, restored.stderr
    assert project.sha("models/model.joblib") == model
