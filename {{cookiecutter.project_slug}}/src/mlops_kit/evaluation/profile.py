"""The reference profile of the training data and of the model's predictions on the test
split, written by the evaluate stage for `python -m mlops_kit.monitoring.monitor` to compare
batches with.

Per feature: 100 quantiles, mean and spread (numbers) or the shares of the frequent values
(categories), and the missing rate; the row counts. It is a few kilobytes, versioned with
the code, so checking a batch never needs the training data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import predictions
from mlops_kit.monitoring import drift

FORMAT = 1
NUMBERS = re.compile(r"\[\s*([-+0-9.eE,\s]+?)\s*\]")


def is_numeric(series) -> bool:
    """Numbers are numeric; booleans, text and categories are categorical (as train.py)."""
    from pandas.api import types

    return types.is_numeric_dtype(series) and not types.is_bool_dtype(series)


def column_profile(series) -> dict[str, Any]:
    if is_numeric(series):
        return drift.numeric_profile(series.to_numpy(dtype=float, na_value=float("nan")))
    return drift.categorical_profile(series.to_numpy(dtype=object))


def described(predicted, task: str):
    """Predictions as the values a profile describes (labels as text)."""
    if task == "classification":
        import numpy as np

        return np.asarray(predicted).astype(str).astype(object)
    return predicted


def build(model, train, test, target: str, task: str, made=None) -> dict[str, Any]:
    """The profile of ``train``'s features and of ``model``'s predictions on ``test`` (or of
    ``made``, its Predictions on ``test`` made already)."""
    for name, frame in (("train", train), ("test", test)):
        if target not in frame.columns:
            raise common.UserError(
                f"target column {target!r} not found in the {name} split; check ingest.target"
            )
    features = train.drop(columns=[target])
    if len(features) < 2:
        raise common.UserError("the training split has fewer than 2 rows; nothing to profile")
    if made is None:
        made = predictions.of(model, test[features.columns], task, proba=False)
    predicted = described(made.predict(), task)
    kind = drift.categorical_profile if task == "classification" else drift.numeric_profile
    return {
        "format": FORMAT,
        "task": task,
        "target": target,
        "rows": len(train),
        "features": {str(name): column_profile(features[name]) for name in features.columns},
        "prediction": kind(predicted),
    }


def _one_line(match) -> str:
    return "[" + ", ".join(part.strip() for part in match.group(1).split(",")) + "]"


def write(path: str | Path, profile: dict[str, Any]) -> None:
    """Indented JSON, each list of numbers on one line: one line per column in a git diff."""
    text = NUMBERS.sub(_one_line, json.dumps(profile, indent=2, ensure_ascii=False))
    common.write_text(path, text + "\n")
