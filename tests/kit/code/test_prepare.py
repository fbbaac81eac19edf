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


@pytest.mark.parametrize(
    ("task", "gaps"), [("classification", False), ("classification", True), ("regression", True)]
)
def test_a_parquet_file_is_split_as_a_frame_is(tmp_path, request, task, gaps):
    """The stage keeps a Parquet file's columns in Arrow (split_table); the rows, their order
    and the values are those of split() on the same data read by pandas."""
    frame = request.getfixturevalue(f"{task}_frame")
    if gaps:
        frame.loc[[1, 5, 9], "label"] = None
    frame.to_parquet(tmp_path / "raw.parquet", index=False)
    (tmp_path / "validation.json").write_text('{"success": true}', encoding="utf-8")
    params = {**SPLIT, "stratify": task == "classification"}
    rows = prepare.prepare(
        str(tmp_path / "raw.parquet"),
        str(tmp_path / "validation.json"),
        tmp_path / "out",
        "label",
        task,
        params,
    )
    expected = prepare.split(pd.read_parquet(tmp_path / "raw.parquet"), "label", task, params)
    assert rows == (len(expected[0]), len(expected[1]))
    for name, want in zip(("train", "test"), expected, strict=True):
        got = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True))


def test_a_parquet_file_without_the_target_or_unreadable_is_one_line(tmp_path):
    (tmp_path / "validation.json").write_text('{"success": true}', encoding="utf-8")
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(tmp_path / "raw.parquet", index=False)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    for data, message in (
        ("raw.parquet", "target column 'label' not found; check ingest.target"),
        ("broken.parquet", "cannot read"),
        ("absent.parquet", "absent.parquet not found"),
    ):
        with pytest.raises(common.UserError, match=message):
            prepare.prepare(
                str(tmp_path / data),
                str(tmp_path / "validation.json"),
                tmp_path / "out",
                "label",
                "classification",
                SPLIT,
            )
        assert not (tmp_path / "out").exists()
