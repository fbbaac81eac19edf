"""Profile stage: a small reference profile of the training data and of the model's
predictions on the test split, for `python -m <package>.monitor` to compare batches with.

Per feature: 100 quantiles, mean and spread (numbers) or the shares of the frequent values
(categories), and the missing rate; the row counts. It is a few kilobytes, versioned with
the code, so checking a batch never needs the training data.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from . import common, drift

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


def predict(model, features, task: str):
    """The model's predictions, as the values a profile describes (labels as text)."""
    predicted = model.predict(features)
    if task == "classification":
        import numpy as np

        return np.asarray(predicted).astype(str).astype(object)
    return predicted


def build(model, train, test, target: str, task: str) -> dict[str, Any]:
    """The profile of ``train``'s features and of ``model``'s predictions on ``test``."""
    for name, frame in (("train", train), ("test", test)):
        if target not in frame.columns:
            raise common.UserError(
                f"target column {target!r} not found in the {name} split; check ingest.target"
            )
    features = train.drop(columns=[target])
    if len(features) < 2:
        raise common.UserError("the training split has fewer than 2 rows; nothing to profile")
    predicted = predict(model, test[features.columns], task)
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
    common.ensure_parent(path).write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("train", "test", "model", "out"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    try:
        params = common.read_params()
        ingest = common.section_of(params, "ingest")
        target, task = str(common.require(ingest, "target", "ingest")), common.task_of(ingest)
        if not Path(args.model).is_file():
            raise common.UserError(f"{args.model} not found; run `dvc repro train` first")
        import joblib

        model = joblib.load(args.model)
        train, test = common.read_table(args.train), common.read_table(args.test)
        profile = build(model, train, test, target, task)
    except common.UserError as exc:
        return common.fail(exc)
    write(args.out, profile)
    numeric = sum(p["kind"] == "numeric" for p in profile["features"].values())
    print(
        f"profile: {len(profile['features'])} features ({numeric} numeric) of "
        f"{profile['rows']} training rows, predictions on {len(test)} test rows; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    common.run(main)
