"""The committed suite accepts the project's data and rejects broken copies of it."""

import json

import pytest

from mlops_kit.validation import checks


@pytest.fixture(scope="module")
def suite(root) -> dict:
    return json.loads((root / "expectations" / "suite.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kwargs_of(suite):
    def find(kind: str) -> list[dict]:
        return [e["kwargs"] for e in suite["expectations"] if e["type"] == f"expect_{kind}"]

    return find


@pytest.fixture(scope="module")
def failed(suite):
    def run(frame) -> set[tuple[str, str | None]]:
        outcomes = checks.run_suite(frame, suite, examples=3)
        return {(o["expectation"], o["column"]) for o in outcomes if not o["success"]}

    return run


def test_suite_passes_on_the_project_data(raw_data, failed):
    assert failed(raw_data) == set()


def test_value_far_out_of_range(raw_data, failed, kwargs_of):
    bounds = kwargs_of("column_values_to_be_between")[0]
    broken = raw_data.copy()
    span = abs(bounds["max_value"] - bounds["min_value"]) + 1
    broken.loc[broken.index[0], bounds["column"]] = bounds["max_value"] + 1000 * span
    assert ("expect_column_values_to_be_between", bounds["column"]) in failed(broken)


def test_null_in_a_not_null_column(raw_data, failed, kwargs_of):
    column = kwargs_of("column_values_to_not_be_null")[0]["column"]
    broken = raw_data.copy()
    broken.loc[broken.index[:2], column] = None
    assert ("expect_column_values_to_not_be_null", column) in failed(broken)


def test_missing_column(raw_data, failed, kwargs_of):
    column = kwargs_of("table_columns_to_match_ordered_list")[0]["column_list"][0]
    found = failed(raw_data.drop(columns=[column]))
    assert ("expect_table_columns_to_match_ordered_list", None) in found
    assert any(name == column for _, name in found)


def test_unseen_category(raw_data, failed, kwargs_of):
    sets = kwargs_of("column_values_to_be_in_set")
    if not sets:
        pytest.skip("the suite has no value-set expectation")
    column, allowed = sets[0]["column"], sets[0]["value_set"]
    numbers = [v for v in allowed if isinstance(v, (int, float)) and not isinstance(v, bool)]
    unseen = max(numbers) + 1 if numbers else "unseen-value"
    broken = raw_data.copy()
    if not numbers:
        broken[column] = broken[column].astype(object)
    broken.loc[broken.index[0], column] = unseen
    assert ("expect_column_values_to_be_in_set", column) in failed(broken)


@pytest.fixture(scope="module")
def target(project_params) -> tuple[str, str]:
    return str(project_params["ingest"]["target"]), project_params["ingest"]["task"]


def test_no_rows_is_refused(raw_data, failed):
    assert ("expect_table_row_count_to_be_between", None) in failed(raw_data.iloc[:0])


def test_the_target_must_be_there_and_labelled(raw_data, failed, target):
    column, _ = target
    assert ("expect_column_to_exist", column) in failed(raw_data.drop(columns=[column]))
    unlabelled = raw_data.astype({column: object})
    unlabelled.loc[unlabelled.index[:3], column] = None
    assert ("expect_column_values_to_not_be_null", column) in failed(unlabelled)


def test_a_target_unfit_for_the_task_is_refused(raw_data, failed, target):
    """Classification: one class, or a class of one row; regression: text."""
    column, task = target
    broken = raw_data.astype({column: object})
    if task == "classification":
        constant = raw_data.assign(**{column: raw_data[column].iloc[0]})
        assert ("expect_column_unique_value_count_to_be_between", column) in failed(constant)
        broken.loc[broken.index[:1], column] = "a class of one row"
        assert ("expect_column_value_counts_to_be_at_least", column) in failed(broken)
    else:
        broken.loc[broken.index[:3], column] = "no"
        assert ("expect_column_values_to_be_in_type_list", column) in failed(broken)
