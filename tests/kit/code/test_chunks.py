"""Validation batch by batch (validate.chunk_rows) says what validating the whole table says."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlops_kit import common
from mlops_kit.pipeline import validate
from mlops_kit.validation import batches, checks, chunks, gxrun, suite

ARGS = ["--data", "data.parquet", "--suite", "suite.json", "--summary", "v.json"]


@pytest.fixture
def frame(classification_frame):
    return suite.as_read_back(classification_frame)


@pytest.fixture
def built(frame):
    return suite.build_suite(frame, "tiny", "label", "classification")


def broken_values(frame):
    broken = frame.copy()
    broken.loc[[1, 2, 40], "size"] = [-1000.0, 9999.0, 8888.0]
    broken.loc[[0, 50, 79], "visits"] = [7, 9, 7]
    broken.loc[4, "colour"] = "purple"
    broken.loc[[5, 6, 60, 61, 62], "code"] = None
    broken["visits"] = broken["visits"].astype("float64")
    broken.loc[70, "visits"] = np.nan  # an integer column with a gap in one batch only
    broken["member"] = broken["member"].astype(object)
    broken.loc[75, "member"] = None
    broken.loc[broken.index[:3], "label"] = "rare"  # a class of 3 rows, fewer than 5
    return broken


def broken_schema(frame):
    return frame.drop(columns=["member"]).assign(extra=1.5).iloc[:30]


# The whole table's outcome by damage: the same for every chunk_rows, validated once.
WHOLE: dict[str, tuple] = {}


def both_ways(workdir, set_params, params, data, built, chunk_rows, damage):
    """The summary and report of validate.main, whole and in batches of ``chunk_rows``."""
    data.to_parquet("data.parquet", index=False, row_group_size=16)
    common.write_json("suite.json", built)
    found = []
    for rows in (None, chunk_rows):
        if rows is None and damage in WHOLE:
            found.append(WHOLE[damage])
            continue
        params["validate"]["chunk_rows"] = rows
        set_params(params)
        code = validate.main([*ARGS, "--report", "v.md"])
        summary = Path("v.json").read_text(encoding="utf-8")
        found.append((code, summary, Path("v.md").read_text(encoding="utf-8")))
    WHOLE.setdefault(damage, found[0])
    return found


@pytest.mark.parametrize("chunk_rows", [7, 16, 1000])
@pytest.mark.parametrize("damage", [None, broken_values, broken_schema])
def test_batches_give_the_summary_and_report_of_the_whole_table(
    workdir, set_params, params, frame, built, chunk_rows, damage
):
    data = frame if damage is None else damage(frame)
    name = getattr(damage, "__name__", "none")
    whole, batched = both_ways(workdir, set_params, params, data, built, chunk_rows, name)
    assert batched == whole
    summary = json.loads(whole[1])
    assert summary["success"] is (damage is None)
    assert summary["rows"] == len(data)
    if damage is broken_values:
        failed = {(f["expectation"], f["column"]) for f in summary["failed"]}
        assert ("expect_column_values_to_not_be_null", "code") in failed
        assert ("expect_column_value_counts_to_be_at_least", "label") in failed
        assert ("expect_column_values_to_be_in_set", "visits") in failed


def test_counts_are_added_up_as_gx_counts_the_whole_table(frame):
    data = broken_values(frame)
    rules = suite.build_suite(frame, "t")["expectations"]
    # Half the rules with `mostly`: some then pass despite unexpected values.
    rules = [
        {**e, "kwargs": {**e["kwargs"], "mostly": 0.9}}
        if i % 2 and e["type"].startswith("expect_column_values")
        else e
        for i, e in enumerate(rules)
    ]
    items = dict(enumerate(rules, start=1))
    expectations = [e for e in checks.build(items)[0] if chunks._group(e) == "rows"]
    whole = gxrun.Runner(expectations, "t", 2).validate(data)
    runner = gxrun.Runner(expectations, "t", 2)
    sums = {n: batches.Sums(runner.partial) for n in whole}
    for start in range(0, len(data), 9):
        for n, result in runner.validate(data.iloc[start : start + 9]).items():
            sums[n].add(result)
    # What the outcome reads (checks.outcome); GX's percentages are not added up.
    keys = ("element_count", "unexpected_count", "partial_unexpected_list", "observed_value")
    for n, result in whole.items():
        added = sums[n].result()
        assert type(added) is type(result)  # GX's own result object
        assert added.success == result.success, result.expectation_config.type
        expected = {k: v for k, v in result.result.items() if k in keys and v is not None}
        assert repr(sorted(added.result.items())) == repr(sorted(expected.items()))  # NaN too
    assert any(not r.success for r in whole.values())
    assert any(r.success and (r.result.get("unexpected_count") or 0) > 0 for r in whole.values())


def test_integer_and_boolean_gaps_read_as_in_the_whole_file(workdir):
    """Written without pandas' metadata, as other tools write Parquet: int64 and bool columns
    with a null in one row group only."""
    data = {"n": pa.array([1, None, 3, 4], pa.int64()), "b": pa.array([True, None, False, True])}
    pq.write_table(pa.table(data), "g.parquet", row_group_size=2)
    whole = pd.read_parquet("g.parquet")
    empty, parts = batches.batches_of(pq.ParquetFile("g.parquet"), 2)
    parts = list(parts)
    assert [str(p["n"].dtype) for p in parts] == [str(whole["n"].dtype)] * 2 == ["float64"] * 2
    assert [p["b"].dtype for p in parts] == [whole["b"].dtype] * 2
    assert dict(empty.dtypes) == dict(whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_rules_needing_a_whole_column_are_refused_by_name(
    workdir, set_params, params, frame, built, capsys
):
    built["expectations"] += [
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "size", "min_value": 0}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}},
    ]
    frame.to_parquet("data.parquet", index=False)
    common.write_json("suite.json", built)
    params["validate"]["chunk_rows"] = 10
    set_params(params)
    assert validate.main([*ARGS, "--report", "v.md"]) == 2
    assert capsys.readouterr().err == (
        "error: validate.chunk_rows: these expectations need a whole column at once and cannot "
        "run batch by batch: expect_column_mean_to_be_between on 'size', "
        "expect_column_values_to_be_unique on 'code'; set validate.chunk_rows: null, or "
        "remove them from the suite\n"
    )
    assert not Path("v.json").exists()


@pytest.mark.parametrize(
    ("rows", "data", "message"),
    [
        (
            10,
            "data.csv",
            "validate.chunk_rows reads Parquet batch by batch, and data.csv is not Parquet",
        ),
        (0, "data.parquet", "params.yaml: validate.chunk_rows must be null or a number >= 1"),
        ("all", "data.parquet", "params.yaml: validate.chunk_rows must be null or a number >= 1"),
    ],
)
def test_bad_settings_are_one_line(
    workdir, set_params, params, frame, built, capsys, rows, data, message
):
    frame.to_csv("data.csv", index=False)
    frame.to_parquet("data.parquet", index=False)
    common.write_json("suite.json", built)
    params["validate"]["chunk_rows"] = rows
    set_params(params)
    args = ["--data", data, "--suite", "suite.json", "--summary", "v.json", "--report", "v.md"]
    assert validate.main(args) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {message}")
    assert error.count("\n") == 1
