"""Data that cannot make a project is named in one line: at generation (fast tier), and in
the pipeline, where a project whose data cannot train a model stops at validate and a failed
stage's outputs come back with `dvc checkout`, as the generated README says (slow tier)."""

from __future__ import annotations

import sys

import pytest
from conftest import bake, isolated_env
from custom_data import churn_rows, write_churn_parquet, write_csv
from test_hooks import pre
from test_pipeline import RAN, Project


@pytest.mark.parametrize("contents", ["", "\n\n"], ids=["zero-bytes", "blank-lines"])
def test_an_empty_custom_file_is_named_as_empty_not_as_a_bad_target(tmp_path, contents):
    path = tmp_path / "data.csv"
    path.write_text(contents, encoding="utf-8")
    with pytest.raises(pre.AnswerError) as raised:
        pre.check_custom_data(str(path), "target")
    assert (
        str(raised.value)
        == f"custom_data_path={str(path)!r} is not valid: data.csv is empty (no header)"
    )


def test_custom_parquet_without_pyarrow_says_to_install_it_in_one_line(tmp_path, monkeypatch):
    path = write_churn_parquet(tmp_path / "churn.parquet", rows=20)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # importing pyarrow now fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(pre.AnswerError) as raised:
        pre.check_custom_data(str(path), "spend")
    assert str(raised.value).endswith(
        "reading Parquet needs pyarrow beside cookiecutter (pip install pyarrow)"
    )
    assert "\n" not in str(raised.value)


@pytest.mark.slow
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
        "'churned' has 1 class ['no']; classification needs at least 2"
    ) in output
    assert "expect_column_value_counts_to_be_at_least" not in output  # one class, of 400 rows
    report = (project.root / "reports" / "validation.md").read_text(encoding="utf-8")
    assert "**FAILED**" in report
    assert "has 1 class ['no']" in report
    assert not (project.root / "models" / "model.joblib").exists()
    assert not (project.root / "data" / "prepared").exists()

    # Learnable data and a suite rebuilt from it, as the README says: the whole pipeline
    # runs. Then a failing train loses the model (DVC deletes a stage's outputs before it
    # runs) and `dvc checkout` brings it back.
    write_csv(project.root / "data" / "external" / "dataset.csv", churn_rows())
    assert project.dvc("repro", "ingest").returncode == 0
    python = str(project.root / ".venv" / "bin" / "python")
    builder = "mlops_kit.validation.suite"
    suite = ["-m", builder, "--data", "data/raw/data.parquet", "--out", "expectations/suite.json"]
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
