"""The model: which estimator each ``train.model`` name in params.yaml stands for.

To add one, add an entry to MODELS: a name, and for each task the class to use. Any class with
scikit-learn's estimator API will do (``fit``, ``predict``, ``get_params``, and
``predict_proba`` for classification), from scikit-learn or not. Its section ``train.<name>``
in params.yaml is passed to it as keyword arguments, ``random_state`` comes from
``train.seed`` when it takes one, and ``n_jobs`` from ``train.n_jobs`` for the names in
PARALLEL. Then choose it with ``train.model: <name>``.
"""

from __future__ import annotations

from typing import Any

from sklearn import ensemble, linear_model

from mlops_kit.pipeline import train

MODELS = {
    "random_forest": {
        "classification": ensemble.RandomForestClassifier,
        "regression": ensemble.RandomForestRegressor,
    },
    "gradient_boosting": {
        "classification": ensemble.HistGradientBoostingClassifier,
        "regression": ensemble.HistGradientBoostingRegressor,
    },
    "linear": {
        "classification": linear_model.LogisticRegression,
        "regression": linear_model.Ridge,
    },
}
# The names whose estimators take train.n_jobs as their n_jobs. The others have none (Ridge;
# HistGradientBoosting uses OpenMP threads), or one that has no effect since scikit-learn 1.8
# and warns when set (LogisticRegression).
PARALLEL = ("random_forest",)


def build(task: str, params: dict[str, Any]):
    """Return the unfitted estimator ``train.model`` names for ``task``, set up by params.yaml."""
    return train.configure(MODELS, task, params, parallel=PARALLEL)
