"""The model's outputs on a split, made once and shared by what scores them.

evaluate's metrics and plots, the metrics by slice with their bootstrap resamples, the
reference profile, and the monitor's drift and metrics of a labelled batch all read the same
``Predictions``: one ``predict`` and one ``predict_proba`` per split, where each used to
make its own. Only the permutation importances need the model itself.

``load_model``: the model file, loaded and checked (batch prediction, the service, the monitor).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlops_kit import common


class Predictions:
    """Stands in for the model: ``predict(rows)`` and ``predict_proba(rows)`` answer for the
    row numbers ``rows`` of the split, or for every row when ``rows`` is None."""

    def __init__(self, predicted, proba=None, classes=None):
        self.predicted, self.proba, self.classes_ = predicted, proba, classes

    def predict(self, rows=None):
        return self.predicted if rows is None else self.predicted[rows]

    def predict_proba(self, rows=None):
        return self.proba if rows is None else self.proba[rows]

    def of_rows(self, rows) -> Predictions:
        """The outputs for the row numbers ``rows`` only."""
        proba = None if self.proba is None else self.proba[rows]
        return Predictions(self.predicted[rows], proba, self.classes_)


def of(model, features, task: str, proba: bool = True) -> Predictions:
    """``model``'s outputs on ``features``: labels, and class probabilities unless ``proba``
    is false, for classification; predicted values (as floats) for regression."""
    predicted = np.asarray(model.predict(features))
    if task == "classification":
        chances = model.predict_proba(features) if proba else None
        return Predictions(predicted, chances, getattr(model, "classes_", None))
    return Predictions(predicted.astype(float))


def load_model(path: str | Path):
    """The model at ``path``: a joblib file that loads, of an estimator that predicts."""
    path = Path(path)
    if not path.is_file():
        raise common.UserError(f"{path} not found; run `dvc repro` (or `dvc pull`) first")
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # unpickling runs arbitrary code: any exception is possible
        said = " ".join(f"{type(exc).__name__} {exc}".split())[:120]
        raise common.UserError(
            f"cannot load the model {path} ({said}); run `dvc pull` (or `dvc repro`) again"
        ) from None
    if not hasattr(model, "predict"):
        raise common.UserError(f"{path} holds a {type(model).__name__}, not a model that predicts")
    return model
