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


def split_segments(frame, column: str, target: str, task: str, params: dict[str, Any]):
    """(train, test, rows without a segment value) of ``frame``, split within each value of
    ``column`` (train.segment_by, many models) with the same seed: a segment's split depends
    on its own rows only, so a change to one segment moves no row of another. Classification
    is stratified within a segment when its classes allow, else that segment is split
    plainly. Rows without a segment value train no model and are left out."""
    from pandas import factorize
    from sklearn.model_selection import train_test_split

    if column not in frame.columns:
        raise common.UserError(
            f"params.yaml: train.segment_by column {column!r} is not in the data; its "
            f"columns are: {', '.join(map(str, frame.columns[:20]))}"
        )
    if column == target:
        raise common.UserError("params.yaml: train.segment_by cannot be the target column")
    frame = frame.dropna(subset=[target])
    missing = int(frame[column].isna().sum())
    frame = frame[frame[column].notna()].reset_index(drop=True)
    if frame.empty:
        raise common.UserError(f"no rows with values in both {target!r} and {column!r}")
    test_size, stratify, seed = settings(params, task)
    codes = factorize(frame[column], sort=True)[0]
    order = np.argsort(codes, kind="stable")
    labels, parts = frame[target].to_numpy(), ([], [])
    for rows in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        if len(rows) < 2:
            parts[0].append(rows)
            continue
        try:
            halves = train_test_split(
                rows,
                test_size=test_size,
                random_state=seed,
                stratify=labels[rows] if stratify else None,
            )
        except ValueError:  # a class too rare in this segment to stratify on
            halves = train_test_split(rows, test_size=test_size, random_state=seed)
        for part, half in zip(parts, halves, strict=True):
            part.append(half)
    train, test = (np.sort(np.concatenate(p)) if p else np.array([], int) for p in parts)
    return frame.iloc[train], frame.iloc[test], missing


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
    segment_by: str | None = None,
) -> tuple[int, int]:
    """Write train.parquet and test.parquet into ``out``; return their row counts. With
    ``segment_by`` (many models), each segment is split on its own (split_segments)."""
    check_validation(validation)
    common.need_pyarrow(Path(out) / "train.parquet")
    if segment_by is not None:
        train, test, missing = split_segments(
            common.read_table(data), segment_by, target, task, params
        )
        if missing:
            print(f"prepare: {missing} rows have no {segment_by!r}; no model uses them")

        def write(frame, path):
            frame.to_parquet(path, index=False)

    elif common.table_file(data).suffix.lower() == ".parquet":  # ingest's: kept as Arrow
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
        column = common.load_params("train").get("segment_by")
        if column is None:
            rows = (run or prepare)(args.data, args.validation, args.out, target, task, params)
        else:
            rows = prepare(args.data, args.validation, args.out, target, task, params, column)
    except common.UserError as exc:
        return common.fail(exc)
    print(f"prepare: {rows[0]} train rows, {rows[1]} test rows -> {args.out}")
    common.before_exit(argv)
    return 0
