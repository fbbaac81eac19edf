"""One segment's model: fitted, scored on its test rows, and written to its own folder.

The folder holds what a one-model project has: ``model.joblib`` (the owners' Pipeline),
``metrics.json`` (the same metrics as reports/metrics.json) and ``profile.json`` (the
reference the monitor reads); a model named in ``evaluate.explain_models`` also has
``explain.json`` and ``slices.json`` (a second or so a model, so only where asked). Each
file is written whole, then renamed into place, so a stopped run leaves the files of the
last finished one, and the shard's manifest (written last) still describes them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from mlops_kit import common
from mlops_kit.evaluation import bootstrap, explain, predictions, profile, slices
from mlops_kit.pipeline import evaluate, train

MODEL, METRICS, PROFILE = "model.joblib", "metrics.json", "profile.json"
EXPLAIN, SLICES = "explain.json", "slices.json"  # for the models of evaluate.explain_models


def md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fit(rows, target: str, task: str, settings: dict[str, Any], build):
    """``build``'s pipeline fitted on the segment's training ``rows`` (its column dropped)."""
    return train.fit(rows, target, task, settings, build)


def write_model(folder: Path, model=None, data: bytes | None = None) -> str:
    """Write ``model`` (or its joblib ``data``, made elsewhere) to ``folder``; its md5."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    with common.replacing(folder / MODEL) as temp:
        if data is None:
            joblib.dump(model, temp)
        else:
            temp.write_bytes(data)
    return md5(folder / MODEL)


def intervals(made, actual, task: str, params: dict[str, Any]) -> dict[str, list]:
    """Bootstrap percentile intervals of the metrics, as evaluate's slices have them."""
    _, resamples, confidence, seed, _, most = slices.settings(params)
    labels = actual if task == "classification" else actual.to_numpy().astype(float)
    draws = bootstrap.resampled(
        task,
        labels,
        made.predicted,
        made.proba,
        made.classes_,
        np.arange(len(actual)),
        resamples,
        np.random.default_rng(seed),
        most,
    )
    tail = (1 - confidence) / 2
    found = {}
    for name, values in draws.items():
        finite = values[np.isfinite(values)]
        if len(finite):
            low, high = np.quantile(finite, [tail, 1 - tail])
            found[name] = [common.sig(low), common.sig(high)]
    return found


def assess(model, train_rows, test_rows, target: str, task: str, params, explained=False):
    """(metrics, intervals, profile, extra) of ``model`` on the segment's ``test_rows``;
    intervals only from evaluate.min_slice_size test rows; ``extra``, for a model of
    evaluate.explain_models, its explain.json and slices.json, as a one-model project's."""
    import warnings

    features = test_rows.drop(columns=[target])
    made = predictions.of(model, features, task)
    metrics = evaluate.evaluate(model, test_rows, target, task, params, made)[0]
    with warnings.catch_warnings():  # a metric undefined on a resample is NaN there
        warnings.simplefilter("ignore")
        ranges = {}
        if len(test_rows) >= slices.settings(params)[4]:
            ranges = intervals(made, test_rows[target], task, params)
    extra = {}
    if explained:
        score = evaluate.classification if task == "classification" else evaluate.regression
        extra[EXPLAIN] = explain.explain(model, features, test_rows[target], params)
        extra[SLICES] = slices.build(model, test_rows, target, task, params, score, made)
    reference = profile.build(model, train_rows, test_rows, target, task, made)
    return metrics, ranges, reference, extra


def write_scores(folder: Path, metrics, reference, extra: dict[str, Any] | None = None) -> None:
    """Write the model's metrics.json and profile.json, and its ``extra`` files (removing
    those of an earlier run that it no longer has)."""
    common.write_json(folder / METRICS, metrics)
    profile.write(folder / PROFILE, reference)
    extra = extra or {}
    for name in (EXPLAIN, SLICES):
        if name in extra:
            common.write_json(folder / name, extra[name], sort_keys=False)
        else:
            (folder / name).unlink(missing_ok=True)


def unusable(rows, target: str, task: str, least: int) -> str | None:
    """Why the segment's training ``rows`` train no model, or None when they do."""
    if len(rows) < least:
        return f"{len(rows)} training rows, fewer than train.min_rows ({least})"
    if task == "classification" and rows[target].nunique() < 2:
        return f"one class only in its training rows ({rows[target].iloc[0]!r})"
    return None
