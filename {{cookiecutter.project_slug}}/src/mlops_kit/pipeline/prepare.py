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


def split(frame, target: str, task: str, params: dict[str, Any]):
    """Return seeded (train, test) frames; stratified on the target for classification."""
    if target not in frame.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    if frame.empty:
        raise common.UserError(f"no rows with a value in the target column {target!r} to split")
    test_size, stratify, seed = settings(params, task)
    from sklearn.model_selection import train_test_split

    try:
        train, test = train_test_split(
            np.arange(len(frame)),
            test_size=test_size,
            random_state=seed,
            stratify=frame[target] if stratify else None,
        )
    except ValueError as exc:
        hint = "; set prepare.stratify: false" if stratify else ""
        raise common.UserError(f"cannot split the data: {exc}{hint}") from exc
    return frame.iloc[train], frame.iloc[test]


def check_validation(path: str | Path) -> None:
    """Raise a UserError unless the validation summary says the data passed."""
    summary = common.read_json(path)
    if not isinstance(summary, dict) or summary.get("success") is not True:
        raise common.UserError(
            f"{path} says the raw data failed validation; fix the data or the suite and rerun"
        )


def prepare(
    data: str, validation: str, out: str | Path, target: str, task: str, params: dict[str, Any]
) -> tuple[int, int]:
    """Write train.parquet and test.parquet into ``out``; return their row counts."""
    check_validation(validation)
    train, test = split(common.read_table(data), target, task, params)
    common.need_pyarrow(Path(out) / "train.parquet")
    with common.replacing(out) as temp:
        temp.mkdir()
        train.to_parquet(temp / "train.parquet", index=False)
        test.to_parquet(temp / "test.parquet", index=False)
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
