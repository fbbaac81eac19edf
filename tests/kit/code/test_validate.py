import json

import jsonschema
import pytest
from mlops_kit import common, schemas
from mlops_kit.pipeline import validate
from mlops_kit.validation import checks, findings, suite


@pytest.fixture
def frame(classification_frame):
    return suite.as_read_back(classification_frame)


@pytest.fixture
def tiny_suite(frame):
    return suite.build_suite(frame, "tiny")


def failures(outcomes):
    return {(o["expectation"], o["column"]) for o in outcomes if not o["success"]}


def test_frame_passes_its_own_suite(frame, tiny_suite):
    outcomes = checks.run_suite(frame, tiny_suite)
    assert len(outcomes) == len(tiny_suite["expectations"])
    assert [o["expectation"] for o in outcomes] == [e["type"] for e in tiny_suite["expectations"]]
    assert failures(outcomes) == set()


def test_broken_frame_fails_with_columns_and_examples(frame, tiny_suite):
    broken = frame.copy()
    broken.loc[[1, 2], "size"] = [-1000.0, 9999.0]
    broken.loc[0, "visits"] = 7
    broken.loc[4, "colour"] = "purple"
    outcomes = checks.run_suite(broken, tiny_suite, examples=1)
    assert failures(outcomes) == {
        ("expect_column_values_to_be_between", "size"),
        ("expect_column_values_to_be_between", "visits"),
        ("expect_column_values_to_be_in_set", "visits"),
        ("expect_column_values_to_be_in_set", "colour"),
    }
    size = next(o for o in outcomes if o["column"] == "size" and not o["success"])
    assert size["unexpected_count"] == 2
    assert size["examples"] == [-1000.0]
    summary = findings.summarise(outcomes, len(broken))
    assert summary["success"] is False
    assert summary["unsuccessful"] == 4
    assert summary["evaluated"] == len(tiny_suite["expectations"])
    assert len(summary["failed"]) == 4


def test_missing_column_and_text_in_numeric_column(frame, tiny_suite):
    broken = frame.drop(columns=["member"]).astype({"size": object})
    broken.loc[0, "size"] = "big"
    found = failures(checks.run_suite(broken, tiny_suite))
    assert ("expect_table_columns_to_match_ordered_list", None) in found
    assert ("expect_column_values_to_be_in_type_list", "size") in found
    assert ("expect_column_values_to_not_be_null", "member") in found


def test_main_passes_and_writes_both_files(workdir, frame, tiny_suite):
    frame.to_csv("data.csv", index=False)
    common.write_json("suite.json", tiny_suite)
    args = ["--data", "data.csv", "--suite", "suite.json"]
    assert validate.main([*args, "--summary", "r/v.json", "--report", "r/v.md"]) == 0
    summary = json.loads((workdir / "r/v.json").read_text(encoding="utf-8"))
    assert summary["success"] is True
    assert summary["rows"] == len(frame)
    assert summary["failed"] == []
    report = (workdir / "r/v.md").read_text(encoding="utf-8")
    assert "PASSED" in report
    assert report.count("| pass |") == len(tiny_suite["expectations"])


def test_main_failure_writes_files_explains_and_exits_1(workdir, frame, tiny_suite, capsys):
    frame.loc[[1, 2, 3], "size"] = [-1.0e6, 9.0e6, -2.0e6]
    frame.to_csv("data.csv", index=False)
    common.write_json("suite.json", tiny_suite)
    args = ["--data", "data.csv", "--suite", "suite.json", "--summary", "v.json"]
    assert validate.main([*args, "--report", "v.md"]) == 1
    error = capsys.readouterr().err
    assert (
        "validation failed: expect_column_values_to_be_between on column 'size': "
        "3 unexpected values, e.g. [-1000000.0, 9000000.0, -2000000.0]"
    ) in error
    summary = json.loads((workdir / "v.json").read_text(encoding="utf-8"))
    assert summary["failed"] == [
        {
            "column": "size",
            "examples": [-1.0e6, 9.0e6, -2.0e6],
            "expectation": "expect_column_values_to_be_between",
            "unexpected_count": 3,
        }
    ]
    jsonschema.validate(summary, schemas.schema("validation"))  # the shape CI reads
    report = (workdir / "v.md").read_text(encoding="utf-8")
    assert "FAILED" in report
    assert "| **FAIL** |" in report
    assert "-1000000.0" in report


def test_table_level_failure_says_so(workdir, frame, tiny_suite, capsys):
    frame.iloc[:20].to_csv("data.csv", index=False)
    common.write_json("suite.json", tiny_suite)
    args = ["--data", "data.csv", "--suite", "suite.json", "--summary", "v.json"]
    assert validate.main([*args, "--report", "v.md"]) == 1
    error = capsys.readouterr().err
    assert "expect_table_row_count_to_be_between on the whole table" in error
    assert "20 rows, expected at least 40 and at most 160" in error


def test_invalid_suite_is_one_line_error(workdir, frame, capsys):
    frame.to_csv("data.csv", index=False)
    common.write_json("suite.json", {"name": "x", "expectations": [{"type": "expect_magic"}]})
    args = ["--data", "data.csv", "--suite", "suite.json", "--summary", "v.json"]
    assert validate.main([*args, "--report", "v.md"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "expect_magic" in error
