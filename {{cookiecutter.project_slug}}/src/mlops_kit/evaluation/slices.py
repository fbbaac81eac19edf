"""The test split's metrics by slice, with bootstrap intervals: reports/slices.json.

`evaluate.slices` names the columns to slice by: a column name takes its values as they are;
`{column: age, bins: [30, 50]}` or `{column: bmi, quantiles: 4}` bins a number (binning.py).
fairlearn's MetricFrame splits the rows by slice; each slice gets its n, every metric of
metrics.json (evaluate.py's functions) and a percentile interval from
`evaluate.bootstrap.resamples` resamples drawn within the slice. The gap of a metric is its
largest minus its smallest value among the slices of at least `evaluate.min_slice_size`
rows; its interval comes from the same resamples (each slice resampled on its own,
replicate by replicate). Smaller slices are reported, never gated. A slice or split of
more than `evaluate.bootstrap.max_rows` rows is resampled m out of n (bootstrap.py).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from mlops_kit import common
from mlops_kit.evaluation import binning, bootstrap, predictions

# Rows a resample draws at most (evaluate.bootstrap.max_rows): see bootstrap.py.
MAX_ROWS = 20_000


def settings(params: dict[str, Any]) -> tuple[list, int, float, int, int, int]:
    """(evaluate.slices, resamples, confidence, seed, min_slice_size, max_rows), checked."""
    specs = params.get("slices") or []
    boot = params.get("bootstrap") or {}
    resamples, confidence = boot.get("resamples", 1000), boot.get("confidence", 0.95)
    seed, size = boot.get("seed", 42), params.get("min_slice_size", 30)
    most = boot.get("max_rows", MAX_ROWS)
    if not isinstance(specs, list):
        raise common.UserError("params.yaml: evaluate.slices must be a list of columns")
    checked = (("bootstrap.resamples", resamples), ("min_slice_size", size))
    for name, value in (*checked, ("bootstrap.max_rows", most)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise common.UserError(f"params.yaml: evaluate.{name} must be a whole number >= 1")
    if not isinstance(confidence, float) or not 0 < confidence < 1:
        raise common.UserError("params.yaml: evaluate.bootstrap.confidence must be in (0, 1)")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise common.UserError("params.yaml: evaluate.bootstrap.seed must be a whole number")
    return specs, resamples, confidence, seed, size, most


def _interval(value, draws, confidence: float) -> dict[str, Any]:
    tail = (1 - confidence) / 2
    finite = draws[np.isfinite(draws)]
    low, high = np.quantile(finite, [tail, 1 - tail]) if len(finite) else (np.nan, np.nan)
    value = None if value is None else common.sig(value)
    return {"value": value, "low": common.sig(low), "high": common.sig(high)}


def build(model, test, target: str, task: str, params: dict, score, made=None) -> dict[str, Any]:
    """The content of slices.json; ``score`` is evaluate.py's function for ``task``, ``made``
    the model's Predictions on ``test`` when they are made already."""
    from fairlearn.metrics import MetricFrame

    specs, resamples, confidence, seed, min_size, most = settings(params)
    features, actual = test.drop(columns=[target]), test[target]
    sliced = [binning.labels(test, spec) for spec in specs]  # every item checked before any work
    out = made if made is not None else predictions.of(model, features, task)
    truth = actual.to_numpy()

    def measure(rng):
        def run(_, rows):
            rows = np.asarray(rows)
            labels = actual if task == "classification" else truth.astype(float)
            many = bootstrap.resampled(
                task, labels, out.predicted, out.proba, out.classes_, rows, resamples, rng, most
            )
            values = score(out, rows, actual.iloc[rows])[0]
            return {"n": len(rows), "values": values, "draws": many}

        return run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = np.arange(len(test))
        overall = measure(np.random.default_rng(seed))(truth, rows)
        frames = [
            MetricFrame(
                metrics={"all": measure(np.random.default_rng([seed, i]))},
                y_true=truth,
                y_pred=rows,
                sensitive_features=values.to_numpy(),
            ).by_group["all"]
            for i, (_, _, values) in enumerate(sliced, start=1)
        ]
    return {
        "confidence": confidence,
        "resamples": resamples,
        "max_rows": most,
        "min_size": min_size,
        "overall": _metrics(overall, confidence),
        "slices": [
            _column(column, binned, groups, confidence, min_size)
            for (column, binned, _), groups in zip(sliced, frames, strict=True)
        ],
    }


def _metrics(found: dict, confidence: float) -> dict[str, Any]:
    draws = found["draws"]
    return {name: _interval(v, draws[name], confidence) for name, v in found["values"].items()}


def _column(column, binned, groups, confidence: float, min_size: int) -> dict[str, Any]:
    values = [
        {
            "value": str(label),
            "n": found["n"],
            "gated": found["n"] >= min_size,
            "metrics": _metrics(found, confidence),
        }
        for label, found in groups.items()
    ]
    judged = [found for found in groups.to_numpy() if found["n"] >= min_size]
    names = [str(label) for label, found in groups.items() if found["n"] >= min_size]
    gaps = {}
    for metric in judged[0]["values"] if len(judged) > 1 else {}:
        points = np.array([f["values"][metric] for f in judged], dtype=float)  # None: NaN
        if np.isnan(points).all():
            continue
        stack = np.stack([f["draws"][metric] for f in judged])
        high, low = np.nanargmax(points), np.nanargmin(points)
        gap = _interval(points[high] - points[low], stack.max(0) - stack.min(0), confidence)
        gaps[metric] = {**gap, "between": [names[high], names[low]]}
    return {"column": column, "binning": binned, "values": values, "gaps": gaps}
