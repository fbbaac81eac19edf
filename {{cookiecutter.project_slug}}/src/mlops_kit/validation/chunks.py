"""Validate a Parquet file batch by batch (validate.chunk_rows), one batch in memory at a time.

Rules on each row run with Great Expectations on every batch, and their counts are added up;
rules on the table come from the file's schema and row count; rules on a column's distinct
values run on those values, gathered batch after batch; the rows of each class are counted
batch after batch. Verdicts, counts and examples are those of the whole table at once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.validation import checks, gxrun
from mlops_kit.validation.batches import Sums, batches_of

ROW_COUNT = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")
SCHEMA = ("expect_column_to_exist", "expect_table_columns_to_match_ordered_list")
SCHEMA += ("expect_table_columns_to_match_set", "expect_table_column_count_to_equal")
SCHEMA += ("expect_table_column_count_to_be_between",)
# Rules on a column's distinct values: the same on those values as on the whole column.
DISTINCT = ("expect_column_unique_value_count_to_be_between", "expect_column_min_to_be_between")
DISTINCT += ("expect_column_max_to_be_between", "expect_column_distinct_values_to_be_in_set")
DISTINCT += ("expect_column_distinct_values_to_contain_set",)
DISTINCT += ("expect_column_distinct_values_to_equal_set",)
# Rules on each row, but about the rows around it: they need the whole column too.
WHOLE_COLUMN_MAPS = (
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_decreasing",
    "expect_compound_columns_to_be_unique",
    "expect_multicolumn_values_to_be_unique",
)


def _row_rule(expectation) -> bool:
    from great_expectations.expectations import expectation as base

    maps = (
        base.ColumnMapExpectation,
        base.ColumnPairMapExpectation,
        base.MulticolumnMapExpectation,
    )
    return isinstance(expectation, maps) and expectation.expectation_type not in WHOLE_COLUMN_MAPS


def _group(expectation) -> str | None:
    kind = expectation.expectation_type
    if kind in ROW_COUNT:
        return "count"
    if kind in SCHEMA:
        return "schema"
    if kind in DISTINCT:
        return "distinct"
    return "rows" if _row_rule(expectation) else None


def plan(suite: dict[str, Any]):
    """Sort the suite's GX expectations into groups; refuse those needing a whole column."""
    built, own = checks.build(dict(enumerate(suite["expectations"], start=1)))
    groups: dict[str, list[Any]] = {"rows": [], "schema": [], "count": [], "distinct": []}
    refused = []
    for expectation in built:
        group = _group(expectation)
        if group is None:
            column = expectation.configuration.kwargs.get("column")
            refused.append(expectation.expectation_type + (f" on {column!r}" if column else ""))
        else:
            groups[group].append(expectation)
    if refused:
        raise common.UserError(
            "validate.chunk_rows: these expectations need a whole column at once and cannot "
            f"run batch by batch: {', '.join(refused)}; set validate.chunk_rows: null, or "
            "remove them from the suite"
        )
    return groups, own


def run_suite(path, suite: dict[str, Any], examples: int, chunk_rows: int):
    """Validate the Parquet file ``path`` batch by batch; return (outcomes, rows)."""
    import pandas as pd

    groups, own = plan(suite)
    if not Path(path).is_file():
        raise common.UserError(f"{path} not found; check the path or run `dvc repro` first")
    common.need_pyarrow(path)
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise common.UserError(f"cannot read {path}: {exc}") from exc
    rows, name = parquet.metadata.num_rows, str(suite.get("name") or "suite")
    empty, batches = batches_of(parquet, chunk_rows)
    runner = gxrun.Runner(groups["rows"], name, examples)
    sums = {e.configuration.meta["position"]: Sums(runner.partial) for e in groups["rows"]}
    wanted = {e.configuration.kwargs["column"] for e in groups["distinct"]}
    distinct = {c: {} for c in wanted if c in empty.columns}
    counts = {n: Counter() for n, item in own.items() if item["kwargs"]["column"] in empty}
    for batch in batches:
        for position, result in runner.validate(batch).items():
            sums[position].add(result)
        for column, seen in distinct.items():
            seen.update(dict.fromkeys(batch[column].dropna().unique()))
        for n, counter in counts.items():
            counter.update(batch[own[n]["kwargs"]["column"]].value_counts().to_dict())
    if rows == 0:  # no batch at all: the empty table, as a whole
        for position, result in runner.validate(empty).items():
            sums[position].add(result)
    outcomes = {n: checks.outcome(s.result(), examples, empty) for n, s in sums.items()}
    for group, frame in (("schema", empty), ("count", pd.DataFrame(index=pd.RangeIndex(rows)))):
        found = gxrun.Runner(groups[group], name, examples).validate(frame)
        outcomes.update({n: checks.outcome(r, examples, frame) for n, r in found.items()})
    for column in wanted:
        frame = empty
        if column in distinct:
            values = pd.Series(list(distinct[column]), dtype=empty[column].dtype)
            frame = pd.DataFrame({column: values})
        rules = [e for e in groups["distinct"] if e.configuration.kwargs["column"] == column]
        found = gxrun.Runner(rules, name, examples).validate(frame)
        outcomes.update({n: checks.outcome(r, examples, frame) for n, r in found.items()})
    for n, item in own.items():
        outcomes[n] = checks.counted(counts.get(n), item, examples)
    return [outcomes[n] for n in sorted(outcomes)], rows
