"""The test split's metrics by slice, with bootstrap intervals: reports/slices.json.

`evaluate.slices` names the columns to slice by: a column name takes its values as they are;
`{column: age, bins: [30, 50]}` or `{column: bmi, quantiles: 4}` bins a number. fairlearn's
MetricFrame splits the rows by slice; each slice gets its n, every metric of metrics.json
(evaluate.py's functions) and a percentile interval from `evaluate.bootstrap.resamples`
resamples drawn within the slice. The gap of a metric is its largest minus its smallest
value among the slices of at least `evaluate.min_slice_size` rows; its interval comes from
the same resamples (each slice resampled on its own, replicate by replicate). Smaller
slices are reported, never gated.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import bootstrap, common

MAX_LEVELS = 20  # a number column with more distinct values must be binned
MISSING = "(missing)"


class Predictions:
    """The model's outputs on the test split, standing in for the model."""

    def __init__(self, predicted, proba, classes):
        self.predicted, self.proba, self.classes_ = predicted, proba, classes

    def predict(self, features):
        return self.predicted[features]

    def predict_proba(self, features):
        return self.proba[features]


def settings(params: dict[str, Any]) -> tuple[list, int, float, int, int]:
    """(evaluate.slices, resamples, confidence, seed, min_slice_size), checked."""
    specs = params.get("slices") or []
    boot = params.get("bootstrap") or {}
    resamples, confidence = boot.get("resamples", 1000), boot.get("confidence", 0.95)
    seed, size = boot.get("seed", 42), params.get("min_slice_size", 30)
    if not isinstance(specs, list):
        raise common.UserError("params.yaml: evaluate.slices must be a list of columns")
    for name, value in (("bootstrap.resamples", resamples), ("min_slice_size", size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise common.UserError(f"params.yaml: evaluate.{name} must be a whole number >= 1")
    if not isinstance(confidence, float) or not 0 < confidence < 1:
        raise common.UserError("params.yaml: evaluate.bootstrap.confidence must be in (0, 1)")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise common.UserError("params.yaml: evaluate.bootstrap.seed must be a whole number")
    return specs, resamples, confidence, seed, size


def _edge(value: float) -> str:
    return f"{value:.4g}"


def labels(frame, spec) -> tuple[str, str | None, Any]:
    """(column, binning or None, the slice label of every row) for one `evaluate.slices` item."""
    import pandas as pd

    column = spec.get("column") if isinstance(spec, dict) else spec
    where = f"params.yaml: evaluate.slices item {spec!r}"
    if not isinstance(column, str) or column not in frame.columns:
        raise common.UserError(f"{where} names no column of the test split; use a column name")
    values = frame[column]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    extra = set(spec) - {"column"} if isinstance(spec, dict) else set()
    if not extra:
        if numeric and values.nunique() > MAX_LEVELS:
            raise common.UserError(
                f"{where}: {column!r} is a number with {values.nunique()} values; bin it, e.g. "
                + "{column: NAME, bins: [30, 50]} or {column: NAME, quantiles: 4}".replace(
                    "NAME", column
                )
            )
        shown = values.map(lambda v: f"{v:.6g}" if isinstance(v, float) else str(v))
        return column, None, shown.where(values.notna(), MISSING)
    if not numeric or extra not in ({"bins"}, {"quantiles"}):
        raise common.UserError(f"{where}: give a number column with bins: [...] or quantiles: n")
    if "bins" in extra:
        edges, binning = spec["bins"], f"bins {spec['bins']}"
        if not isinstance(edges, list) or not all(common_number(e) for e in edges):
            raise common.UserError(f"{where}: bins must be a list of numbers, e.g. [30, 50]")
    else:
        count = spec["quantiles"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 2:
            raise common.UserError(f"{where}: quantiles must be a whole number >= 2")
        edges = np.nanquantile(values.to_numpy(float), np.arange(1, count) / count).tolist()
        binning = f"quantiles {count}: {', '.join(_edge(e) for e in sorted(set(edges)))}"
    edges = [-np.inf, *sorted(set(float(e) for e in edges)), np.inf]
    names = [f"[{_edge(lo)}, {_edge(hi)})" for lo, hi in zip(edges, edges[1:], strict=False)]
    cut = pd.cut(values, edges, right=False, labels=names).astype(object)
    return column, binning, cut.where(values.notna(), MISSING).astype(str)


def common_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _interval(value, draws, confidence: float) -> dict[str, Any]:
    tail = (1 - confidence) / 2
    finite = draws[np.isfinite(draws)]
    low, high = np.quantile(finite, [tail, 1 - tail]) if len(finite) else (np.nan, np.nan)
    value = None if value is None else common.sig(value)
    return {"value": value, "low": common.sig(low), "high": common.sig(high)}


def build(model, test, target: str, task: str, params: dict, score) -> dict[str, Any]:
    """The content of slices.json; ``score`` is evaluate.py's function for ``task``."""
    from fairlearn.metrics import MetricFrame

    specs, resamples, confidence, seed, min_size = settings(params)
    features, actual = test.drop(columns=[target]), test[target]
    sliced = [labels(test, spec) for spec in specs]  # every item checked before any work
    if task == "classification":
        proba = model.predict_proba(features)
        out = Predictions(np.asarray(model.predict(features)), proba, model.classes_)
    else:
        out = Predictions(np.asarray(model.predict(features), dtype=float), None, None)
    truth = actual.to_numpy()

    def measure(rng):
        def run(_, rows):
            rows = np.asarray(rows)
            draws = rows[rng.integers(0, len(rows), (resamples, len(rows)))]
            if task == "classification":
                many = bootstrap.classification(actual, out.proba, out.classes_, draws)
            else:
                many = bootstrap.regression(truth.astype(float), out.predicted, draws)
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
        "min_size": min_size,
        "overall": _metrics(overall, confidence),
        "slices": [
            _column(column, binning, groups, confidence, min_size)
            for (column, binning, _), groups in zip(sliced, frames, strict=True)
        ],
    }


def _metrics(found: dict, confidence: float) -> dict[str, Any]:
    draws = found["draws"]
    return {name: _interval(v, draws[name], confidence) for name, v in found["values"].items()}


def _column(column, binning, groups, confidence: float, min_size: int) -> dict[str, Any]:
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
    return {"column": column, "binning": binning, "values": values, "gaps": gaps}
