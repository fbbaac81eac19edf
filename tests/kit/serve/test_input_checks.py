"""input_checks.check: number columns that arrive as numbers are checked as one matrix; the
problems and the clean frame are the same as checking each column on its own would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlops_kit.serving import input_checks
from mlops_kit.serving.input_rules import BETWEEN, NOT_NULL, TYPE, Column

RULES = [
    Column("size", "number", nullable=False, low=0.0, high=10.0),
    Column("visits", "integer", low=1, high=5, strict=(True, False)),
    Column("colour", "text", allowed=["red", "blue"]),
    Column("ratio", "number", high=1.0, strict=(False, True)),
]
FRAME = pd.DataFrame(
    {
        "ratio": [0.5, 1.0, np.nan, 0.2],  # another order than the rules'
        "size": [1.5, -1.0, np.nan, 11.0],
        "visits": pd.array([2, 1, None, 7], dtype="Int64"),
        "colour": ["red", "green", None, 3],
        "unused": ["x", "y", "z", "w"],
    }
)


def found(frame, rules):
    clean, problems = input_checks.check(frame, rules)
    return clean, [(p.row, p.column, p.rule, p.message) for p in problems]


def test_every_problem_in_row_then_rule_order_with_the_value_named():
    clean, problems = found(FRAME, RULES)
    assert problems == [
        (1, "size", BETWEEN, "-1 is below the minimum 0"),
        (1, "visits", BETWEEN, "1 is below the minimum 1"),  # strict
        (1, "colour", "expect_column_values_to_be_in_set",
         "'green' is not one of the values seen in training: 'red', 'blue'"),
        (1, "ratio", BETWEEN, "1 is above the maximum 1"),  # strict
        (2, "size", NOT_NULL, "the value is missing"),
        (3, "size", BETWEEN, "11 is above the maximum 10"),
        (3, "visits", BETWEEN, "7 is above the maximum 5"),
        (3, "colour", TYPE, "3 is not text"),
    ]  # fmt: skip
    assert list(clean.columns) == ["size", "visits", "colour", "ratio"]
    assert clean["visits"].dtype == "float64"
    assert clean["visits"].isna().tolist()[2]


@pytest.mark.parametrize("column", ["visits", "ratio"])
def test_the_matrix_agrees_with_one_column_at_a_time(column):
    # the same column as text (checked on its own) and as numbers (in the matrix)
    as_text = FRAME.assign(**{column: FRAME[column].astype(object)})
    assert found(as_text, RULES)[1] == found(FRAME, RULES)[1]
    pd.testing.assert_frame_equal(found(as_text, RULES)[0], found(FRAME, RULES)[0])


def test_a_fraction_in_a_whole_number_column_and_all_number_columns_as_one_block():
    rules = [RULES[0], RULES[1]]
    frame = pd.DataFrame({"size": [1.0, 2.0], "visits": [2.5, 3.0]})
    clean, problems = found(frame, rules)
    assert problems == [(0, "visits", TYPE, "2.5 is not a whole number")]
    assert clean.to_numpy().tolist() == [[1.0, 2.5], [2.0, 3.0]]
    assert len(clean._mgr.blocks) == 1


def test_no_rows_and_a_missing_column():
    clean, problems = found(FRAME.head(0), RULES)
    assert problems == []
    assert len(clean) == 0
    assert list(clean.columns) == [r.name for r in RULES]
    assert found(FRAME.drop(columns="size"), RULES) == (
        None,
        [(None, "size", "expect_table_columns_to_match_ordered_list", "the column is missing")],
    )


def test_no_number_columns_at_all():
    clean, problems = found(FRAME[["colour"]], [RULES[2]])
    assert [p[:3] for p in problems] == [(1, "colour", "expect_column_values_to_be_in_set"),
                                          (3, "colour", TYPE)]  # fmt: skip
    assert clean["colour"].tolist()[:2] == ["red", "green"]
