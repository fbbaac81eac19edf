import json
import subprocess
import sys

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }} import suite


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
        assert suite.main(["--data", data, "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert first == (tmp_path / "b.json").read_text(encoding="utf-8")
    assert first.endswith("}\n")
    assert json.loads(first)["name"] == "raw_data"


def test_parquet_input_gives_the_suite_of_the_csv_ingest_writes(tmp_path, regression_frame):
    frame = regression_frame.assign(colour=regression_frame["colour"].astype("category"))
    frame["visits"] = frame["visits"].astype("Int64")
    frame.loc[0, "visits"] = None
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    frame.to_csv(tmp_path / "data.csv", index=False)
    for name in ("data.parquet", "data.csv"):
        suite.main(["--data", str(tmp_path / name), "--out", str(tmp_path / f"{name}.json")])
    from_parquet = (tmp_path / "data.parquet.json").read_text(encoding="utf-8")
    assert from_parquet == (tmp_path / "data.csv.json").read_text(encoding="utf-8")


def test_suite_loads_in_great_expectations(classification_frame):
    import great_expectations as gx

    built = suite.build_suite(suite.as_read_back(classification_frame), "tiny")
    loaded = gx.ExpectationSuite(**built)
    assert len(loaded.expectations) == len(built["expectations"])


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
    args = ["--data", str(tmp_path / "data.csv"), "--out", str(tmp_path / "s.json")]
    code = (
        "import sys\n"
        "sys.modules.update(great_expectations=None, sklearn=None)\n"
        "from {{ cookiecutter.package_name }} import suite\n"
        f"raise SystemExit(suite.main({args!r}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["expectations"]
