import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.pipeline import ingest
from mlops_kit.validation import checks, gxrun, suite

TARGET = ["--target", "label", "--task", "classification"]


def by_column(built: dict) -> dict:
    found: dict = {}
    for item in built["expectations"]:
        found.setdefault(item["kwargs"].get("column"), {})[item["type"]] = item["kwargs"]
    return found


def test_suite_shape(classification_frame):
    frame = suite.as_read_back(classification_frame)
    built = suite.build_suite(frame, "tiny")
    assert built["name"] == "tiny"
    assert all(set(item) == {"type", "kwargs", "meta"} for item in built["expectations"])
    table = by_column(built)[None]
    assert table["expect_table_columns_to_match_ordered_list"]["column_list"] == list(frame)
    assert table["expect_table_row_count_to_be_between"] == {"min_value": 40, "max_value": 160}
    columns = by_column(built)
    assert "expect_column_values_to_not_be_null" not in columns["size"]
    assert "expect_column_values_to_not_be_null" in columns["visits"]
    size = columns["size"]["expect_column_values_to_be_between"]
    low, high = frame["size"].min(), frame["size"].max()
    margin = 0.1 * (high - low)
    assert low - 1.01 * margin <= size["min_value"] <= low - 0.99 * margin
    assert high + 0.99 * margin <= size["max_value"] <= high + 1.01 * margin
    visits = columns["visits"]
    assert isinstance(visits["expect_column_values_to_be_between"]["min_value"], int)
    assert visits["expect_column_values_to_be_in_set"]["value_set"] == [0, 1, 2, 3, 4]
    assert columns["colour"]["expect_column_values_to_be_in_set"]["value_set"] == [
        "blue",
        "green",
        "red",
    ]
    assert columns["member"]["expect_column_values_to_be_in_set"]["value_set"] == [False, True]
    assert "expect_column_values_to_be_in_set" not in columns["code"]
    assert "expect_column_values_to_be_between" not in columns["colour"]
    assert "str" in columns["colour"]["expect_column_values_to_be_in_type_list"]["type_list"]


def test_integer_column_with_gaps_keeps_integer_bounds_and_set():
    frame = suite.as_read_back(pd.DataFrame({"grade": [1, None, 3, 2] * 5}))
    columns = by_column(suite.build_suite(frame, "t"))["grade"]
    assert columns["expect_column_values_to_be_in_set"]["value_set"] == [1, 2, 3]
    assert columns["expect_column_values_to_be_between"] == {
        "column": "grade",
        "min_value": 0,
        "max_value": 4,
    }


def test_output_is_deterministic(tmp_path, classification_frame):
    classification_frame.to_csv(tmp_path / "data.csv", index=False)
    data = str(tmp_path / "data.csv")
    for name in ("a.json", "b.json"):
        assert suite.main([*TARGET, "--data", data, "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert first == (tmp_path / "b.json").read_text(encoding="utf-8")
    assert first.endswith("}\n")
    assert json.loads(first)["name"] == "raw_data"


def test_the_suite_describes_the_parquet_ingest_writes(workdir, regression_frame):
    """From a CSV or a Parquet source, the suite describes the raw data.parquet that ingest
    writes from it (Parquet keeps categories and nullable integers), which passes it."""
    frame = regression_frame.assign(colour=regression_frame["colour"].astype("category"))
    frame["visits"] = frame["visits"].astype("Int64")
    frame.loc[0, "visits"] = None
    frame.to_parquet("source.parquet", index=False)
    frame.to_csv("source.csv", index=False)
    for source in ("source.parquet", "source.csv"):
        args = ["--data", source, "--out", f"{source}.json"]
        assert suite.main(["--target", "label", "--task", "regression", *args]) == 0
        ingest.write_parquet(ingest.load_source(source, "label"), "raw.parquet")
        built = json.loads((workdir / f"{source}.json").read_text(encoding="utf-8"))
        outcomes = checks.run_suite(common.read_table("raw.parquet"), built)
        assert [o for o in outcomes if not o["success"]] == []
        types = {
            c: r["expect_column_values_to_be_in_type_list"]["type_list"]
            for c, r in by_column(built).items()
            if c
        }
        parquet = source.endswith(".parquet")
        assert ("category" in types["colour"]) is parquet
        assert types["visits"] == (suite.INT_TYPES if parquet else suite.FLOAT_TYPES)


def test_suite_loads_in_great_expectations(classification_frame):
    import great_expectations as gx

    built = suite.build_suite(suite.as_read_back(classification_frame), "tiny", "label")
    # Every rule but the one checks.py runs itself is a Great Expectations expectation.
    own = [e for e in built["expectations"] if e["type"] == checks.CLASS_COUNTS]
    assert [e["kwargs"] for e in own] == [{"column": "label", "min_value": suite.MIN_CLASS_ROWS}]
    gx_rules = [e for e in built["expectations"] if e["type"] != checks.CLASS_COUNTS]
    loaded = gx.ExpectationSuite(**{**built, "expectations": gx_rules})
    assert len(loaded.expectations) == len(built["expectations"]) - 1


def test_non_negative_columns_stay_non_negative():
    frame = pd.DataFrame({"count": [0, 40] * 5, "share": [0.01, 0.5] * 5, "delta": [-1.0, 9.0] * 5})
    columns = by_column(suite.build_suite(frame, "t"))
    assert columns["count"]["expect_column_values_to_be_between"]["min_value"] == 0
    assert columns["share"]["expect_column_values_to_be_between"]["min_value"] == 0.0
    assert columns["delta"]["expect_column_values_to_be_between"]["min_value"] == -2.0


def test_constant_column_gets_a_nonempty_range():
    frame = pd.DataFrame({"flat": np.full(10, 2.5)})
    between = by_column(suite.build_suite(frame, "t"))["flat"]["expect_column_values_to_be_between"]
    assert between["min_value"] < 2.5 < between["max_value"]


def test_suite_command_needs_neither_gx_nor_sklearn(tmp_path, classification_frame):
    classification_frame.to_csv(tmp_path / "data.csv", index=False)
    args = [*TARGET, "--data", str(tmp_path / "data.csv"), "--out", str(tmp_path / "s.json")]
    code = (
        "import sys\n"
        "sys.modules.update(great_expectations=None, sklearn=None)\n"
        "from mlops_kit.validation import suite\n"
        f"raise SystemExit(suite.main({args!r}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["expectations"]


def test_classification_target_rules():
    """Whatever the data shows, the target must be there, labelled, with 2 classes or more of
    enough rows each; the builder adds these rules to what it saw in the column."""
    frame = suite.as_read_back(pd.DataFrame({"x": range(12), "y": ["a"] * 12}))
    built = suite.build_suite(frame, "t", "y", "classification", min_class_rows=3)
    target = [e for e in built["expectations"] if e["kwargs"].get("column") == "y"]
    assert [e["type"] for e in target[:4]] == [
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_unique_value_count_to_be_between",
        checks.CLASS_COUNTS,
    ]
    assert all(e["meta"] == {"target": True} for e in target[:4])
    assert target[2]["kwargs"] == {"column": "y", "min_value": 2, "max_value": None}
    assert target[3]["kwargs"] == {"column": "y", "min_value": 3}
    assert "expect_column_values_to_be_in_set" in by_column(built)["y"]
    assert "expect_column_to_exist" not in by_column(built)["x"]


def test_regression_target_must_be_numeric_even_if_the_data_is_not():
    frame = suite.as_read_back(pd.DataFrame({"x": range(8), "y": ["no", "yes"] * 4}))
    rules = by_column(suite.build_suite(frame, "t", "y", "regression"))["y"]
    assert rules["expect_column_values_to_be_in_type_list"]["type_list"] == suite.NUMERIC_TYPES
    assert "expect_column_unique_value_count_to_be_between" not in rules
    assert checks.CLASS_COUNTS not in rules


def test_a_target_with_gaps_still_must_not_be_null():
    frame = suite.as_read_back(pd.DataFrame({"x": range(8), "y": [1.5, None] * 4}))
    rules = by_column(suite.build_suite(frame, "t", "y"))["y"]
    assert "expect_column_values_to_not_be_null" in rules


def test_header_only_data_still_needs_a_row():
    frame = suite.as_read_back(pd.DataFrame({"x": [1], "y": ["a"]}).iloc[:0])
    table = by_column(suite.build_suite(frame, "t", "y"))[None]
    assert table["expect_table_row_count_to_be_between"] == {"min_value": 1, "max_value": 1}


def test_main_takes_target_and_task_from_params(workdir, params, set_params, regression_frame):
    params["ingest"].update(target="label", task="regression")
    set_params(params)
    regression_frame.to_csv("data.csv", index=False)
    assert suite.main(["--data", "data.csv", "--out", "s.json", "--min-class-rows", "9"]) == 0
    built = json.loads((workdir / "s.json").read_text(encoding="utf-8"))
    target = [e for e in built["expectations"] if e["meta"].get("target")]
    assert {e["kwargs"]["column"] for e in target} == {"label"}
    assert target[-1]["type"] == "expect_column_values_to_be_in_type_list"


def test_main_refuses_a_target_not_in_the_data(workdir, classification_frame, capsys):
    classification_frame.to_csv("data.csv", index=False)
    args = ["--target", "churn", "--task", "classification", "--data", "data.csv"]
    assert suite.main([*args, "--out", "s.json"]) == 2
    assert capsys.readouterr().err == "error: target column 'churn' not found in data.csv\n"
    assert not (workdir / "s.json").exists()


@pytest.mark.parametrize(
    ("types", "passes", "fails"),
    [
        ("INT_TYPES", ["int64", "int32", "Int64", "float64"], ["str", "bool", "float32"]),
        ("FLOAT_TYPES", ["float64", "float32", "Float64", "int64"], ["str", "bool", "int32"]),
        ("NUMERIC_TYPES", ["int64", "Int64", "float64", "Float64"], ["str", "bool"]),
        ("BOOL_TYPES", ["bool", "boolean"], ["int64", "float64", "str"]),
        ("TEXT_TYPES", ["str", "object", "string"], ["int64", "float64", "bool"]),
    ],
)
def test_type_lists_mean_in_pandas_what_they_say(types, passes, fails):
    """The lists also name Spark and SQL types; in pandas they pass what they name, only."""
    import pandas as pd

    type_list = getattr(suite, types)
    assert any(t.endswith("Type") for t in type_list)  # Spark
    assert any(t.isupper() for t in type_list)  # SQL
    values = {
        "bool": [True, False],
        "boolean": [True, False],
        "str": ["a", "b"],
        "object": ["a", "b"],
        "string": ["a", "b"],
    }
    frame = pd.DataFrame({d: pd.Series(values.get(d, [1, 2]), dtype=d) for d in passes + fails})
    rules = [
        {
            "type": "expect_column_values_to_be_in_type_list",
            "kwargs": {"column": c, "type_list": type_list},
        }
        for c in frame
    ]
    outcomes = gxrun.Runner(checks.build(dict(enumerate(rules)))[0], "t", 0).validate(frame)
    passed = {r.expectation_config.kwargs["column"] for r in outcomes.values() if r.success}
    assert passed == set(passes)
