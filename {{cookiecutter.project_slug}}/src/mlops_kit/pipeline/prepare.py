"""Prepare stage: refuse unvalidated data, then split it into train and test sets."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from mlops_kit import common


def settings(params: dict[str, Any], task: str) -> tuple[float, bool, Any]:
    """(prepare.test_size, whether to stratify, prepare.seed), checked; every engine's split
    reads them here. Only classification is stratified."""
    test_size = common.require(params, "test_size", "prepare")
    if not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise common.UserError("params.yaml: prepare.test_size must be a fraction between 0 and 1")
    stratify = bool(common.require(params, "stratify", "prepare")) and task == "classification"
    return test_size, stratify, common.require(params, "seed", "prepare")


def split_rows(labels, target: str, task: str, params: dict[str, Any]):
    """Seeded (train, test) row numbers of ``labels``, the target's values with none missing;
    stratified on them for classification (scikit-learn's ``train_test_split``)."""
    if len(labels) == 0:
        raise common.UserError(f"no rows with a value in the target column {target!r} to split")
    test_size, stratify, seed = settings(params, task)
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(
            np.arange(len(labels)),
            test_size=test_size,
            random_state=seed,
            stratify=labels if stratify else None,
        )
    except ValueError as exc:
        hint = "; set prepare.stratify: false" if stratify else ""
        raise common.UserError(f"cannot split the data: {exc}{hint}") from exc


def split(frame, target: str, task: str, params: dict[str, Any]):
    """Return seeded (train, test) frames; stratified on the target for classification."""
    if target not in frame.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    from pandas import RangeIndex

    if frame[target].isna().any() or not frame.index.equals(RangeIndex(len(frame))):
        frame = frame.dropna(subset=[target]).reset_index(drop=True)  # else: a copy for nothing
    train, test = split_rows(frame[target], target, task, params)
    return frame.iloc[train], frame.iloc[test]


def split_table(table, target: str, task: str, params: dict[str, Any]):
    """``split`` of a pyarrow Table, never converted to pandas: the same rows in the same
    order, taken and written as Arrow columns (three fewer copies of a large file)."""
    import pyarrow.compute as pc
    import pyarrow.types

    if target not in table.column_names:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    column = table.column(target)
    present = pc.is_valid(column)
    if pyarrow.types.is_floating(column.type):  # NaN is missing to pandas too
        nan = pc.fill_null(pc.is_nan(column), False)  # is_nan of a null is null
        present = pc.and_(present, pc.invert(nan))
    if not pc.all(present).as_py():
        table = table.filter(present)
    labels = table.column(target).to_numpy(zero_copy_only=False)
    train, test = split_rows(labels, target, task, params)
    return table.take(train), table.take(test)


def check_validation(path: str | Path) -> None:
    """Raise a UserError unless the validation summary says the data passed."""
    summary = common.read_json(path)
    if not isinstance(summary, dict) or summary.get("success") is not True:
        raise common.UserError(
            f"{path} says the raw data failed validation; fix the data or the suite and rerun"
        )


def prepare(
    data: str,
    validation: str,
    out: str | Path,
    target: str,
    task: str,
    params: dict[str, Any],
) -> tuple[int, int]:
    """Write train.parquet and test.parquet into ``out``; return their row counts (a project
    with many models splits with segments/split.py instead)."""
    check_validation(validation)
    common.need_pyarrow(Path(out) / "train.parquet")
    if common.table_file(data).suffix.lower() == ".parquet":  # ingest's: kept as Arrow
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(data)
        except Exception as exc:
            raise common.UserError(f"cannot read {data}: {exc}") from exc
        train, test = split_table(table, target, task, params)
        write = pq.write_table
    else:
        train, test = split(common.read_table(data), target, task, params)

        def write(frame, path):
            frame.to_parquet(path, index=False)

    with common.replacing(out) as temp:
        temp.mkdir()
        write(train, temp / "train.parquet")
        write(test, temp / "test.parquet")
    return len(train), len(test)


def main(argv: list[str] | None = None, run=None) -> int:
    """The stage's command line; ``run`` stands in for prepare() (the Spark stage's)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="raw data (Parquet or CSV)")
    parser.add_argument("--validation", required=True, help="validation summary JSON")
    parser.add_argument("--out", required=True, help="folder for train/test Parquet files")
    args = parser.parse_args(argv)
    try:
        target, task, params = common.stage_params("prepare")
        rows = (run or prepare)(args.data, args.validation, args.out, target, task, params)
    except common.UserError as exc:
        return common.fail(exc)
    print(f"prepare: {rows[0]} train rows, {rows[1]} test rows -> {args.out}")
    common.before_exit(argv)
    return 0
