"""Evaluate stage: score the model on the test split and write metrics and plot data, what
the model relies on (explain.py), and the reference profile of the training data and of the
predictions that the monitor reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import explain, predictions, profile, slices

MAX_CURVE_POINTS = 200


def _thin(frame, limit: int = MAX_CURVE_POINTS):
    """Keep at most ``limit`` evenly spaced points of a curve, first and last included."""
    import numpy as np

    if len(frame) <= limit:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, limit).round().astype(int))]


def _safe(score, *args, **kwargs) -> float | None:
    """A metric that is undefined on this split (e.g. one class only) becomes None."""
    try:
        return score(*args, **kwargs)
    except ValueError:
        return None


def classification(model, features, actual) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return classification metrics and the confusion, ROC and precision-recall data."""
    import pandas as pd
    from sklearn import metrics
    from sklearn.preprocessing import label_binarize

    classes = model.classes_
    if len(classes) < 2:
        raise common.UserError(
            f"the model knows one class only ({classes[0]!r}); retrain it on data with at "
            "least 2 classes (`dvc repro`)"
        )
    predicted = model.predict(features)
    proba = model.predict_proba(features)
    if len(classes) == 2:
        truth, score = (actual.to_numpy() == classes[1]).astype(int), proba[:, 1]
        auc = _safe(metrics.roc_auc_score, truth, score)
    else:
        truth, score = label_binarize(actual, classes=classes).ravel(), proba.ravel()
        auc = _safe(
            metrics.roc_auc_score, actual, proba, multi_class="ovr", average="macro", labels=classes
        )
    macro = {"average": "macro", "zero_division": 0}
    scores = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(actual, predicted),
        "f1_macro": metrics.f1_score(actual, predicted, **macro),
        "precision_macro": metrics.precision_score(actual, predicted, **macro),
        "recall_macro": metrics.recall_score(actual, predicted, **macro),
        "roc_auc": auc,
        "log_loss": metrics.log_loss(actual, proba, labels=classes),
    }
    fpr, tpr, _ = metrics.roc_curve(truth, score)
    precision, recall, _ = metrics.precision_recall_curve(truth, score)
    plots = {
        "confusion": pd.DataFrame({"actual": actual.to_numpy(), "predicted": predicted}),
        "roc": _thin(pd.DataFrame({"fpr": fpr, "tpr": tpr})),
        "precision_recall": _thin(pd.DataFrame({"recall": recall, "precision": precision})),
    }
    return scores, plots


def regression(model, features, actual) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return regression metrics and the predicted-vs-actual and residual data."""
    import pandas as pd
    from sklearn import metrics

    predicted = model.predict(features)
    scores = {
        "rmse": metrics.root_mean_squared_error(actual, predicted),
        "mae": metrics.mean_absolute_error(actual, predicted),
        "r2": metrics.r2_score(actual, predicted),
    }
    actual = actual.to_numpy()
    plots = {
        "predictions": pd.DataFrame({"actual": actual, "predicted": predicted}),
        "residuals": pd.DataFrame({"predicted": predicted, "residual": actual - predicted}),
    }
    return scores, plots


def evaluate(model, test, target: str, task: str, params: dict[str, Any], made=None):
    """Return (metrics, plots) for ``model`` on the ``test`` frame; ``made``: its Predictions
    on ``test`` (evaluation/predictions.py), when they are made already."""
    if target not in test.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    features, actual = test.drop(columns=[target]), test[target]
    score = classification if task == "classification" else regression
    scores, plots = score(model, features, actual) if made is None else score(made, None, actual)
    return {name: None if v is None else common.sig(v) for name, v in scores.items()}, plots


def write_plots(plots: dict[str, Any], folder: str | Path) -> None:
    """Replace ``folder`` with one holding one CSV per plot, in one rename."""
    with common.replacing(folder) as temp:
        temp.mkdir()
        for name, frame in plots.items():
            frame.to_csv(temp / f"{name}.csv", index=False, float_format="%.6g")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("model", "train", "test", "metrics", "plots", "profile", "slices", "explain"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    try:
        target, task, params = common.stage_params("evaluate")
        if not Path(args.model).is_file():
            raise common.UserError(f"{args.model} not found; run `dvc repro train` first")
        import joblib

        model = joblib.load(args.model)
        test = common.read_table(args.test)
        if target not in test.columns:
            raise common.UserError(f"target column {target!r} not found; check ingest.target")
        features = test.drop(columns=[target])
        made = predictions.of(model, features, task)  # shared by all but the importances
        scores, plots = evaluate(model, test, target, task, params, made)
        jobs = common.require(common.load_params("train"), "n_jobs", "train")  # checked by train
        explanation = explain.explain(model, features, test[target], params, jobs)
        plots.update(explain.plots(explanation))
        train = common.read_table(args.train)
        reference = profile.build(model, train, test, target, task, made)
        score = classification if task == "classification" else regression
        sliced = slices.build(model, test, target, task, params, score, made)
    except common.UserError as exc:
        return common.fail(exc)
    common.write_json(args.metrics, scores)
    write_plots(plots, args.plots)
    common.write_json(args.explain, explanation, sort_keys=False)
    profile.write(args.profile, reference)
    common.write_json(args.slices, sliced, sort_keys=False)
    print(f"evaluate: {', '.join(f'{k}={v}' for k, v in sorted(scores.items()))}")
    common.before_exit(argv)
    return 0
