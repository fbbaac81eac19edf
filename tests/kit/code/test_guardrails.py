"""Bad data is stopped with one line naming the file, column and problem, and a failing
stage leaves the last good output where it was: never a traceback, never half a file."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.pipeline import evaluate, ingest, prepare, validate
from mlops_kit.pipeline import train as kit_train
from mlops_kit.validation import suite

from kit.project import train


def run_validate(frame, built, capsys) -> tuple[int, str, dict]:
    """Validate ``frame`` against ``built`` in the current folder; return code, stderr, summary."""
    frame.to_csv("data.csv", index=False)
    common.write_json("suite.json", built)
    args = ["--data", "data.csv", "--suite", "suite.json", "--summary", "v.json"]
    code = validate.main([*args, "--report", "v.md"])
    summary = json.loads(Path("v.json").read_text(encoding="utf-8")) if code != 2 else {}
    return code, capsys.readouterr().err, summary


def built_from(frame, task: str = "classification", **options) -> dict:
    return suite.build_suite(suite.as_read_back(frame), "t", "label", task, **options)


def one_line(error: str) -> str:
    assert error.count("\n") == 1, error
    assert "Traceback" not in error
    return error


def test_a_constant_target_fails_validation_on_the_target_rule(
    workdir, classification_frame, capsys
):
    constant = classification_frame.assign(label="high")
    for built in (built_from(classification_frame), built_from(constant)):
        code, error, summary = run_validate(constant, built, capsys)
        assert code == 1
        assert (
            "validation failed: expect_column_unique_value_count_to_be_between: target column "
            "'label' has 1 class ['high']; classification needs at least 2"
        ) in error
        assert summary["success"] is False
        assert "FAILED" in (workdir / "v.md").read_text(encoding="utf-8")


def test_a_class_with_too_few_rows_is_named_with_its_count(workdir, classification_frame, capsys):
    rare = classification_frame.copy()
    rare.loc[:1, "label"] = "rare"
    code, error, summary = run_validate(rare, built_from(rare, min_class_rows=5), capsys)
    assert code == 1
    assert (
        "expect_column_value_counts_to_be_at_least: target column 'label' has 1 class with "
        "fewer than 5 rows: 'rare' (2 rows); add rows of them, or drop or merge them"
    ) in error
    failed = {f["expectation"]: f for f in summary["failed"]}
    assert failed["expect_column_value_counts_to_be_at_least"]["examples"] == ["rare"]
    code, _, _ = run_validate(rare, built_from(rare, min_class_rows=2), capsys)
    assert code == 0


def test_a_text_target_for_regression_is_named_not_numeric(workdir, regression_frame, capsys):
    words = regression_frame.assign(label=np.where(regression_frame["label"] > 40, "yes", "no"))
    for built in (built_from(regression_frame, "regression"), built_from(words, "regression")):
        code, error, _ = run_validate(words, built, capsys)
        assert code == 1
        assert re.search(r"target column 'label' is not numeric \(e\.g\. '(no|yes)'\)", error)
    first = words["label"].iloc[0]
    with pytest.raises(common.UserError, match=rf"'label' is not numeric \(e.g. '{first}'\)"):
        kit_train.check_target(words, "label", "regression")


def test_a_missing_or_unlabelled_target_is_named(workdir, classification_frame, capsys):
    built = built_from(classification_frame)
    _, error, _ = run_validate(classification_frame.drop(columns=["label"]), built, capsys)
    assert "expect_column_to_exist: target column 'label' is not in the data" in error
    gaps = classification_frame.copy()
    gaps.loc[:2, "label"] = None
    _, error, _ = run_validate(gaps, built, capsys)
    assert "target column 'label' has 3 rows without a label" in error


def test_infinite_values_are_shown_as_inf(workdir, classification_frame, capsys):
    broken = classification_frame.copy()
    broken.loc[[1, 2], "size"] = [np.inf, -np.inf]
    code, error, summary = run_validate(broken, built_from(classification_frame), capsys)
    assert code == 1
    assert "on column 'size': 2 unexpected values, e.g. ['inf', '-inf']" in error
    assert summary["failed"][0]["examples"] == ["inf", "-inf"]


def test_header_only_data_fails_validation_on_0_rows(workdir, classification_frame, capsys):
    header = classification_frame.iloc[:0]
    for built in (built_from(classification_frame), built_from(header)):
        code, error, summary = run_validate(header, built, capsys)
        assert code == 1
        rule = "expect_table_row_count_to_be_between on the whole table (table-level)"
        assert f"{rule}: 0 rows, expected at least " in error
        assert summary["rows"] == 0


@pytest.mark.parametrize(
    ("contents", "problem"),
    [("", "is empty (0 bytes)"), ("\n\n", "is empty: no header, no rows")],
    ids=["zero-bytes", "blank-lines"],
)
def test_an_empty_file_is_named(workdir, params, set_params, capsys, contents, problem):
    (workdir / "custom.csv").write_text(contents, encoding="utf-8")
    params["ingest"]["source"] = "custom.csv"
    set_params(params)
    assert ingest.main(["--out", "raw.csv"]) == 2
    assert one_line(capsys.readouterr().err) == f"error: custom.csv {problem}" + (
        "; give a file with a header and rows\n" if contents == "" else "\n"
    )
    assert not (workdir / "raw.csv").exists()


def test_parquet_without_pyarrow_says_to_install_it(
    workdir, params, set_params, monkeypatch, capsys
):
    pd.DataFrame({"x": [1, 2], "label": ["a", "b"]}).to_parquet("data.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    params["ingest"]["source"] = "data.parquet"
    set_params(params)
    assert ingest.main(["--out", "raw.csv"]) == 2
    error = one_line(capsys.readouterr().err)
    assert error.startswith("error: data.parquet: Parquet needs pyarrow, a main dependency")
    assert "python3 tasks.py setup" in error


def test_train_refuses_a_one_class_target_and_keeps_the_last_model(
    workdir, params, set_params, classification_frame, capsys
):
    (workdir / "prepared").mkdir()
    classification_frame.assign(label="low").to_parquet("prepared/train.parquet")
    (workdir / "model.joblib").write_bytes(b"the last good model")
    args = ["--train", "prepared/train.parquet", "--model", "model.joblib"]
    assert train.main(args) == 2
    assert one_line(capsys.readouterr().err).startswith(
        "error: target column 'label' has one class only ('low'); classification needs at least 2"
    )
    assert (workdir / "model.joblib").read_bytes() == b"the last good model"
    assert sorted(p.name for p in workdir.iterdir()) == ["model.joblib", "params.yaml", "prepared"]


def test_a_crash_while_saving_the_model_leaves_the_last_one(
    workdir, params, set_params, classification_frame, monkeypatch
):
    import joblib

    def crash(value, filename):
        Path(filename).write_bytes(b"half a mod")
        raise OSError("disk full")

    classification_frame.to_parquet("train.parquet")
    (workdir / "model.joblib").write_bytes(b"the last good model")
    monkeypatch.setattr(joblib, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        train.main(["--train", "train.parquet", "--model", "model.joblib"])
    assert (workdir / "model.joblib").read_bytes() == b"the last good model"
    assert sorted(p.name for p in workdir.iterdir()) == [
        "model.joblib",
        "params.yaml",
        "train.parquet",
    ]


def test_replacing_swaps_files_and_folders_whole(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.csv").write_text("old", encoding="utf-8")

    def stopped_halfway():
        with common.replacing(tmp_path / "out") as temp:
            temp.mkdir()
            (temp / "new.csv").write_text("half", encoding="utf-8")
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        stopped_halfway()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.csv"]
    with common.replacing(tmp_path / "out") as temp:
        temp.mkdir()
        (temp / "new.csv").write_text("new", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["new.csv"]
    common.write_json(tmp_path / "m.json", {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "out"]


def test_evaluate_refuses_a_one_class_model_and_writes_nothing(
    workdir, params, quick_train, classification_frame, capsys
):
    import joblib

    one_class = classification_frame.assign(label="high")
    features = one_class.drop(columns=["label"])
    forest = quick_train("classification", "random_forest")
    model = train.build_pipeline(features, "classification", forest)  # fits one class
    joblib.dump(model.fit(features, one_class["label"]), "model.joblib")
    classification_frame.to_parquet("test.parquet")
    args = ["--model", "model.joblib", "--train", "test.parquet", "--test", "test.parquet"]
    args += ["--metrics", "m.json", "--profile", "p.json", "--slices", "s.json"]
    args += ["--explain", "e.json"]
    assert evaluate.main([*args, "--plots", "plots"]) == 2
    assert "the model knows one class only ('high')" in one_line(capsys.readouterr().err)
    assert not (workdir / "s.json").exists()
    assert not (workdir / "m.json").exists()
    assert not (workdir / "e.json").exists()
    assert not (workdir / "p.json").exists()
    assert not (workdir / "plots").exists()


def test_prepare_names_a_target_without_values(classification_frame, params):
    empty = classification_frame.assign(label=None)
    with pytest.raises(common.UserError, match="no rows with a value in the target column 'label'"):
        prepare.split(empty, "label", "classification", params["prepare"])
