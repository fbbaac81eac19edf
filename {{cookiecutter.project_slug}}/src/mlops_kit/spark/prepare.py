"""Prepare stage on Spark: refuse unvalidated data, then split it on the cluster.

Stratified on the target (``prepare.stratify``) with ``DataFrame.sampleBy``, else with
``randomSplit``: each row is drawn at random with ``prepare.seed``, so the parts' sizes are
close to ``prepare.test_size``, not exact, and the rows differ from the local engine's split.
The same raw file, Spark version and partitioning give the same split again. The parts are
written as single Parquet files, which train and evaluate read as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.pipeline import prepare as local
from mlops_kit.spark import session as spark

ROW = "__row__"


def split(frame, target: str, task: str, params: dict[str, Any]):
    """Return seeded (train, test) Spark DataFrames; stratified on the target for classification."""
    if target not in frame.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    test_size, stratify, seed = local.settings(params, task)
    frame = frame.dropna(subset=[target])
    if not stratify:
        train, test = frame.randomSplit([1 - test_size, test_size], seed=seed)
        return train, test
    from pyspark.sql import functions as F

    numbered = frame.withColumn(ROW, F.monotonically_increasing_id()).cache()
    classes = [row[0] for row in numbered.select(target).distinct().collect()]
    train = numbered.sampleBy(target, dict.fromkeys(classes, 1 - test_size), seed=seed).cache()
    test = numbered.join(train.select(ROW), on=ROW, how="left_anti")
    return train.drop(ROW), test.drop(ROW)


def check_parts(train, test, target: str, stratified: bool) -> None:
    """Raise a UserError when a part is empty or, stratified, lacks a class of the other."""
    if train.empty or test.empty:
        raise common.UserError(
            f"cannot split the data: {len(train)} train and {len(test)} test rows; "
            "give more rows or change prepare.test_size"
        )
    if stratified:
        missing = set(train[target]) ^ set(test[target])
        if missing:
            raise common.UserError(
                f"cannot split the data: classes {sorted(missing, key=str)} are in one part "
                "only; give more rows of them or set prepare.stratify: false"
            )


def prepare(
    data: str, validation: str, out: str | Path, target: str, task: str, params: dict[str, Any]
) -> tuple[int, int]:
    """prepare.prepare() on Spark: train.parquet and test.parquet in ``out``, row counts back."""
    local.check_validation(validation)
    common.need_pyarrow(Path(out) / "train.parquet")
    with spark.session("prepare") as session:
        parts = split(spark.read(session, data), target, task, params)
        train, test = (spark.to_pandas(part) for part in parts)
    check_parts(train, test, target, local.settings(params, task)[1])
    with common.replacing(out) as temp:
        temp.mkdir()
        train.to_parquet(temp / "train.parquet", index=False)
        test.to_parquet(temp / "test.parquet", index=False)
    return len(train), len(test)


def main(argv: list[str] | None = None) -> int:
    return local.main(argv, run=prepare)
