"""Batch prediction (python -m mlops_kit.serving.predict) on files of the small project's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.serving import input_rules, predict

MODEL, SUITE = "models/model.joblib", "expectations/suite.json"


@pytest.fixture
def inputs(rows, tmp_path):
    """The rows with an id column, as a CSV file."""
    frame = rows.assign(id=[f"r{n}" for n in range(len(rows))])
    frame.to_csv(tmp_path / "new.csv", index=False)
    return frame


def run(small_project, *args: str) -> int:
    return predict.main(
        ["--model", str(small_project / MODEL), "--suite", str(small_project / SUITE), *args]
    )


def test_csv_in_parquet_out_with_ids_predictions_and_probabilities(
    small_project, tmp_path, model, inputs
):
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "out.parquet"),
        )
        == 0
    )
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert list(out.columns) == ["id", "prediction", "probability_high", "probability_low"]
    assert out["id"].tolist() == inputs["id"].tolist()
    features = inputs.drop(columns="id")
    assert out["prediction"].tolist() == model.predict(features).tolist()
    np.testing.assert_allclose(
        out[["probability_high", "probability_low"]], model.predict_proba(features)
    )


def test_a_bad_row_stops_the_run_naming_it_and_writes_nothing(
    small_project, tmp_path, inputs, capsys
):
    inputs.loc[5, "colour"] = "purple"
    inputs.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    assert run(small_project, "--input", str(tmp_path / "new.csv"), "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        f"error: {tmp_path / 'new.csv'}: row 6, column 'colour': 'purple' is not one"
    )
    assert error.strip().endswith("(rule expect_column_values_to_be_in_set)")
    assert list(tmp_path.iterdir()) == [tmp_path / "new.csv"]


def test_a_missing_column_stops_the_run(small_project, tmp_path, inputs, capsys):
    inputs.drop(columns="visits").to_csv(tmp_path / "new.csv", index=False)
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "o.csv"),
        )
        == 2
    )
    assert "column 'visits': the column is missing" in capsys.readouterr().err


def test_skip_mode_sets_bad_rows_aside_with_their_reasons(small_project, tmp_path, model, inputs):
    broken = inputs.astype({"visits": object, "member": object})
    broken.loc[2, "visits"] = "many"
    broken.loc[7, "member"] = None
    broken.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(out),
            "--on-error",
            "skip",
        )
        == 0
    )
    rejected = pd.read_csv(tmp_path / "out.rejected.csv")
    assert rejected["row"].tolist() == [3, 8]
    assert rejected["id"].tolist() == ["r2", "r7"]
    type_rule, null_rule = input_rules.TYPE, input_rules.NOT_NULL
    assert rejected["reason"].tolist() == [
        f"column 'visits': 'many' is not a whole number (rule {type_rule})",
        f"column 'member': the value is missing (rule {null_rule})",
    ]
    scored = pd.read_csv(out)
    kept = inputs.drop(index=[2, 7])
    assert scored["id"].tolist() == kept["id"].tolist()
    assert scored["prediction"].tolist() == model.predict(kept.drop(columns="id")).tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_larger_than_a_batch_is_read_in_batches(
    small_project, tmp_path, model, inputs, suffix, monkeypatch
):
    big = pd.concat([inputs] * 5, ignore_index=True)  # 200 rows
    source = tmp_path / f"big{suffix}"
    if suffix == ".csv":
        big.to_csv(source, index=False)
    else:
        big.to_parquet(source, index=False, row_group_size=50)
    sizes = []
    checked = input_rules.check

    def counting(frame, checks):
        sizes.append(len(frame))
        return checked(frame, checks)

    monkeypatch.setattr(input_rules, "check", counting)
    scored = predict.predict(
        small_project / MODEL,
        source,
        tmp_path / "out.parquet",
        suite=small_project / SUITE,
        rows=30,
    )
    assert scored == (200, 0)
    assert sizes == [30] * 6 + [20]
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["prediction"].tolist() == model.predict(big.drop(columns="id")).tolist()


def test_rows_are_counted_across_batches(small_project, tmp_path, inputs):
    big = pd.concat([inputs] * 3, ignore_index=True)
    big.loc[95, "visits"] = 99
    big.to_csv(tmp_path / "big.csv", index=False)
    with pytest.raises(common.UserError, match=r"row 96, column 'visits': 99 is above the maximum"):
        predict.predict(
            small_project / MODEL,
            tmp_path / "big.csv",
            tmp_path / "o.csv",
            suite=small_project / SUITE,
            rows=25,
        )
    assert not (tmp_path / "o.csv").exists()


def test_rules_ignore_the_target_and_whole_table_expectations(small_project):
    suite = common.read_json(small_project / SUITE)
    checks = input_rules.columns(suite, ["size", "colour"])
    assert [c.name for c in checks] == ["size", "colour"]
    assert (checks[0].kind, checks[0].nullable, checks[0].allowed) == ("number", True, None)
    assert (checks[1].kind, checks[1].allowed) == ("text", ["blue", "green", "red"])
    kinds = {e["type"] for e in suite["expectations"]}
    assert "expect_table_row_count_to_be_between" in kinds  # in the suite, not a row rule


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("broken.csv", b'size,visits\n1,2\n"unclosed\n', "cannot read"),
        ("broken.parquet", b"not parquet", "cannot read"),
        ("rows.txt", b"size\n1\n", "unsupported file type; use .csv or .parquet"),
    ],
    ids=["csv", "parquet", "suffix"],
)
def test_an_unreadable_input_is_one_line(small_project, tmp_path, capsys, name, content, says):
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "out.csv"
    assert run(small_project, "--input", str(tmp_path / name), "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert says in error
    assert error.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "estimator", ["RandomForestClassifier", "HistGradientBoostingClassifier", "LogisticRegression"]
)
def test_score_predicts_as_the_model_does_for_each_kind_of_classifier(estimator):
    from sklearn import ensemble, linear_model

    rng = np.random.default_rng(3)
    features = pd.DataFrame({"size": rng.normal(10, 3, 200), "visits": rng.integers(0, 5, 200)})
    labels = np.where(features["size"] + rng.normal(0, 2, 200) > 10, "high", "low")
    kind = getattr(ensemble, estimator, None) or getattr(linear_model, estimator)
    model = kind(random_state=0).fit(features, labels)
    assert predict.argmax_predicts(model) == (estimator != "LogisticRegression")
    scored = predict.score(model, features)
    assert scored["prediction"].tolist() == model.predict(features).tolist()
