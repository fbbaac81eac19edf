import math

import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.pipeline import prepare

SPLIT = {"test_size": 0.25, "seed": 3, "stratify": True}


def test_split_sizes_and_disjoint_rows(classification_frame):
    train, test = prepare.split(classification_frame, "label", "classification", SPLIT)
    assert len(test) == math.ceil(0.25 * len(classification_frame))
    assert len(train) + len(test) == len(classification_frame)
    assert set(train["code"]).isdisjoint(test["code"])


def test_split_is_stratified_for_classification():
    frame = pd.DataFrame({"x": range(100), "label": ["rare"] * 20 + ["common"] * 80})
    for seed in range(5):
        _, test = prepare.split(frame, "label", "classification", {**SPLIT, "seed": seed})
        assert (test["label"] == "rare").sum() == 5


def test_split_is_seeded(regression_frame):
    first = prepare.split(regression_frame, "label", "regression", SPLIT)[1]
    again = prepare.split(regression_frame, "label", "regression", SPLIT)[1]
    other = prepare.split(regression_frame, "label", "regression", {**SPLIT, "seed": 4})[1]
    assert first["code"].tolist() == again["code"].tolist()
    assert first["code"].tolist() != other["code"].tolist()


def test_rows_without_target_are_dropped(regression_frame):
    regression_frame.loc[:9, "label"] = None
    train, test = prepare.split(regression_frame, "label", "regression", SPLIT)
    assert len(train) + len(test) == len(regression_frame) - 10


def test_impossible_stratification_is_a_user_error():
    frame = pd.DataFrame({"x": range(10), "label": ["a"] * 9 + ["b"]})
    with pytest.raises(common.UserError, match="prepare.stratify"):
        prepare.split(frame, "label", "classification", SPLIT)


def write_inputs(frame, success: bool) -> list[str]:
    frame.to_csv("raw.csv", index=False)
    common.write_json("validation.json", {"success": success})
    return ["--data", "raw.csv", "--validation", "validation.json", "--out", "prepared"]


def test_main_writes_train_and_test(workdir, params, set_params, classification_frame):
    params["ingest"].update(target="label", task="classification")
    set_params(params)
    assert prepare.main(write_inputs(classification_frame, True)) == 0
    train = pd.read_parquet(workdir / "prepared/train.parquet")
    test = pd.read_parquet(workdir / "prepared/test.parquet")
    assert len(train) + len(test) == len(classification_frame)
    assert list(train.columns) == list(classification_frame.columns)


def test_main_refuses_data_that_failed_validation(workdir, params, set_params, capsys):
    params["ingest"].update(target="label", task="classification")
    set_params(params)
    frame = pd.DataFrame({"x": range(10), "label": [0, 1] * 5})
    assert prepare.main(write_inputs(frame, False)) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "failed validation" in error
    assert not (workdir / "prepared").exists()
