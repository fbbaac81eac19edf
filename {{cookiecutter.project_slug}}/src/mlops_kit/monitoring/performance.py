"""The model's metrics on a labelled batch, judged with the `compare.metrics` rules.

A metric of a small batch is noisy: 60 rows drawn from the test split itself often score a
few points below it. So a metric is worse than tolerated only when even its optimistic
bound, the batch's value plus z bootstrap standard errors (z for alpha shared among the
judged metrics), is beyond the tolerance.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from mlops_kit.pipeline import evaluate

RESAMPLES = 100
SEED = 0


def score(made, actual, task: str) -> dict[str, Any]:
    """evaluate.py's metrics of ``made`` (the model's Predictions on the batch)."""
    scorer = evaluate.classification if task == "classification" else evaluate.regression
    return scorer(made, None, actual)[0]


def bootstrap(made, actual, task: str) -> tuple[dict, dict]:
    """(the batch's metrics, their bootstrap standard errors), from ``made``, the model's
    Predictions on the batch. A metric undefined on the batch or a resample (one class only)
    is None or left out, without a warning. The resamples are scored many at once
    (bootstrap.py), a few at a time for a large batch."""
    from mlops_kit.evaluation import bootstrap as many

    labels = actual if task == "classification" else actual.to_numpy(float)
    rng, rows = np.random.default_rng(SEED), np.arange(len(actual))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = score(made, actual, task)
        found = many.resampled(
            task, labels, made.predicted, made.proba, made.classes_, rows, RESAMPLES, rng
        )
    draws = {name: found.get(name, np.array([])) for name in scores}
    spread = {}
    for name, values in draws.items():
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        spread[name] = float(np.std(values)) if len(values) > 1 else None
    return scores, spread


def judge(scores: dict, spread: dict, reference: dict, rules: dict, alpha: float) -> list[dict]:
    """Each metric that has a rule and a value on both sides, with its verdict."""
    judged = [n for n in rules if scores.get(n) is not None and reference.get(n) is not None]
    z = float(stats.norm.isf(alpha / max(len(judged), 1)))
    rows = []
    for name in judged:
        rule, new, old = rules[name], float(scores[name]), float(reference[name])
        sign = 1 if rule.get("direction") == "higher" else -1
        tolerance = float(rule.get("tolerance", 0))
        optimistic = new + sign * z * (spread.get(name) or 0.0)
        worse = sign * (old - optimistic) > tolerance
        rows.append(
            {
                "metric": name,
                "reference": old,
                "batch": new,
                "standard_error": spread.get(name),
                "direction": rule.get("direction"),
                "tolerance": tolerance,
                "degraded": bool(worse),
            }
        )
    return rows
