"""Build a Great Expectations suite (1.x JSON format) from a data file, without importing GX.

Usage: python -m mlops_kit.validation.suite --data data/raw/data.parquet \\
           --out expectations/suite.json

Besides what the data shows, the suite guards the target (ingest.target, ingest.task): it is
there and never empty; for classification it has at least 2 classes, each with at least
``--min-class-rows`` rows; for regression it is numeric. And the table has at least 1 row.
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.validation.dtypes import (
    BOOL_TYPES,
    FLOAT_TYPES,
    INT_TYPES,
    NUMERIC_TYPES,
    TEXT_TYPES,
)

MAX_INT_LEVELS = 20
MAX_TEXT_LEVELS = 50
MARGIN = 0.1
# Rows each class of a classification target needs: with prepare.test_size 0.2, the
# stratified split then puts at least one row of every class in the test split.
MIN_CLASS_ROWS = 5


def as_read_back(frame):
    """Return ``frame`` as it reads back from the Parquet file that the ingest stage writes."""
    import pandas as pd

    buffer = io.BytesIO()
    frame.rename(columns=str).to_parquet(buffer, index=False)
    buffer.seek(0)
    return pd.read_parquet(buffer)


def _expectation(kind: str, meta: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": meta or {}}


def _plain(value: Any) -> Any:
    """Turn numpy scalars into JSON-friendly Python values."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _bound(value: float, lower: bool) -> float:
    """Round a bound outwards to 6 significant digits."""
    if value == 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    steps = math.floor(value / step) if lower else math.ceil(value / step)
    direction = -1 if lower else 1
    while (float(f"{steps * step:.6g}") - value) * direction < 0:
        steps += direction
    return float(f"{steps * step:.6g}")


def _range(values, integral: bool) -> tuple[Any, Any]:
    low, high = float(values.min()), float(values.max())
    margin = MARGIN * (high - low) or max(MARGIN * abs(low), 1.0)
    floor = 0.0 if low >= 0 else -math.inf
    if integral:
        return math.floor(max(low - margin, floor)), math.ceil(high + margin)
    return _bound(max(low - margin, floor), True), _bound(high + margin, False)


def _column_expectations(name: str, column) -> list[dict[str, Any]]:
    import pandas as pd
    from pandas.api import types

    present = column.dropna()
    out = []
    is_bool = types.is_bool_dtype(column) or (
        len(present) > 0 and bool(present.map(types.is_bool).all())
    )
    numeric = types.is_numeric_dtype(column) and not is_bool
    integral = numeric and bool((present == present.round()).all())
    if is_bool:
        type_list = BOOL_TYPES + (["object"] if column.isna().any() else [])
    elif numeric:
        type_list = INT_TYPES if types.is_integer_dtype(column) else FLOAT_TYPES
    else:
        categorical = isinstance(column.dtype, pd.CategoricalDtype)
        type_list = TEXT_TYPES + (["category"] if categorical else [])
    out.append(_expectation("column_values_to_be_in_type_list", column=name, type_list=type_list))
    if not column.isna().any():
        out.append(_expectation("column_values_to_not_be_null", column=name))
    finite = numeric and len(present) and math.isfinite(present.min() + present.max())
    if finite:
        low, high = _range(present, integral)
        out.append(
            _expectation("column_values_to_be_between", column=name, min_value=low, max_value=high)
        )
    levels = sorted({_plain(v) for v in present.unique()}, key=lambda v: (str(type(v)), v))
    limit = MAX_INT_LEVELS if numeric else MAX_TEXT_LEVELS
    if levels and (is_bool or ((integral or not numeric) and len(levels) <= limit)):
        out.append(_expectation("column_values_to_be_in_set", column=name, value_set=levels))
    return out


def _target_expectations(name: str, task: str, min_class_rows: int) -> list[dict[str, Any]]:
    """The rules on the target, whatever the data shows: there, labelled, and fit to learn."""
    rules = [("column_to_exist", {}), ("column_values_to_not_be_null", {})]
    if task == "classification":
        rules += [
            ("column_unique_value_count_to_be_between", {"min_value": 2, "max_value": None}),
            ("column_value_counts_to_be_at_least", {"min_value": min_class_rows}),
        ]
    else:
        rules += [("column_values_to_be_in_type_list", {"type_list": NUMERIC_TYPES})]
    return [_expectation(kind, {"target": True}, column=name, **kw) for kind, kw in rules]


def build_suite(
    frame,
    name: str,
    target: str | None = None,
    task: str = "classification",
    min_class_rows: int = MIN_CLASS_ROWS,
) -> dict[str, Any]:
    """Return a Great Expectations 1.x suite, as a JSON-ready dict, describing ``frame``;
    with ``target``, the rules on the target column for ``task`` too."""
    rows = len(frame)
    expectations = [
        _expectation("table_columns_to_match_ordered_list", column_list=list(map(str, frame))),
        _expectation(
            "table_row_count_to_be_between",
            min_value=max(1, round(rows * 0.5)),
            max_value=max(1, round(rows * 2.0)),
        ),
    ]
    for column in frame.columns:
        found = _column_expectations(str(column), frame[column])
        if str(column) == target:
            rules = _target_expectations(target, task, min_class_rows)
            kinds = {rule["type"] for rule in rules}
            found = rules + [rule for rule in found if rule["type"] not in kinds]
        expectations.extend(found)
    return {"name": name, "expectations": expectations, "meta": {"rows": rows}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="CSV or Parquet file to describe")
    parser.add_argument("--out", required=True, help="suite JSON file to write")
    parser.add_argument("--name", default="raw_data", help="suite name (default: raw_data)")
    parser.add_argument("--target", help="target column (default: params.yaml ingest.target)")
    parser.add_argument("--task", help="classification or regression (default: ingest.task)")
    parser.add_argument(
        "--min-class-rows",
        type=int,
        default=MIN_CLASS_ROWS,
        help=f"rows each class of a classification target needs (default: {MIN_CLASS_ROWS})",
    )
    args = parser.parse_args(argv)
    try:
        ingest = {} if args.target and args.task else common.load_params("ingest")
        target = args.target or str(common.require(ingest, "target", "ingest"))
        task = common.task_of({"task": args.task} if args.task else ingest)
        frame = as_read_back(common.read_table(args.data))
        if target not in frame.columns:
            raise common.UserError(f"target column {target!r} not found in {args.data}")
    except common.UserError as exc:
        return common.fail(exc)
    suite = build_suite(frame, args.name, target, task, args.min_class_rows)
    common.write_json(Path(args.out), suite, sort_keys=False)
    print(f"suite: {len(suite['expectations'])} expectations for {args.data} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
