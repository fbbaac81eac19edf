"""Prepare stage of a many-models project: split within each segment, stored by shard.

    python -m mlops_kit.segments.split --data data/raw/data.parquet \\
        --validation reports/validation.json --out data/prepared

As pipeline/prepare.py (refuse unvalidated data, the same settings and command line), but
each value of ``train.segment_by`` is split on its own (``split_segments``), and both files
are written by training shard (by_shard.py), so that each shard reads only its own rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlops_kit import common
from mlops_kit.pipeline import prepare as local
from mlops_kit.segments import by_shard, names


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
    test_size, stratify, seed = local.settings(params, task)
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


def prepare(data, validation, out: str | Path, target: str, task: str, params: dict[str, Any]):
    """Write train.parquet and test.parquet into ``out``, split within each segment and
    stored by shard; return their row counts."""
    train = common.load_params("train")
    column = names.segment_by(train)
    if column is None:
        raise common.UserError(
            "params.yaml: train.segment_by is empty, but this project trains many models "
            "(dvc.yaml); set it to the column whose values are the models"
        )
    shards = names.shard_count(train)
    local.check_validation(validation)
    common.need_pyarrow(Path(out) / "train.parquet")
    train_rows, test_rows, missing = split_segments(
        common.read_table(data), column, target, task, params
    )
    if missing:
        print(f"prepare: {missing} rows have no {column!r}; no model uses them")
    with common.replacing(out) as temp:
        temp.mkdir()
        by_shard.write(train_rows, temp / "train.parquet", column, shards)
        by_shard.write(test_rows, temp / "test.parquet", column, shards)
    return len(train_rows), len(test_rows)


def main(argv: list[str] | None = None) -> int:
    return local.main(argv, run=prepare)


if __name__ == "__main__":
    raise SystemExit(main())
