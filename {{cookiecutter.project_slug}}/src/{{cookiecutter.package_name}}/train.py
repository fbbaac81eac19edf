"""Train stage: fit a scikit-learn pipeline on the training split and save it."""

from __future__ import annotations

import argparse
from typing import Any

from . import common

# train.model -> the scikit-learn estimator for each task. The model's own section under
# `train:` in params.yaml is passed to it as keyword arguments, with random_state=train.seed.
MODELS = {
    "random_forest": {
        "classification": "ensemble.RandomForestClassifier",
        "regression": "ensemble.RandomForestRegressor",
    },
    "gradient_boosting": {
        "classification": "ensemble.HistGradientBoostingClassifier",
        "regression": "ensemble.HistGradientBoostingRegressor",
    },
    "linear": {
        "classification": "linear_model.LogisticRegression",
        "regression": "linear_model.Ridge",
    },
}
# Estimators that take train.n_jobs as their n_jobs: the others have none (Ridge, and
# HistGradientBoosting, which uses OpenMP threads), or one without effect since
# scikit-learn 1.8 that warns when set (LogisticRegression).
PARALLEL = ("RandomForestClassifier", "RandomForestRegressor")


def split_columns(frame) -> tuple[list[str], list[str]]:
    """Return (numeric, categorical) feature columns; booleans count as categorical."""
    from pandas.api import types

    numeric = [
        column
        for column in frame.columns
        if types.is_numeric_dtype(frame[column]) and not types.is_bool_dtype(frame[column])
    ]
    return numeric, [c for c in frame.columns if c not in numeric]


def estimator_class(name: str, task: str) -> type:
    """Return the estimator class that MODELS names for ``name`` and ``task``."""
    import sklearn.ensemble
    import sklearn.linear_model

    module, class_name = MODELS[name][task].split(".")
    return getattr(getattr(sklearn, module), class_name)


def make_model(task: str, params: dict[str, Any]):
    """Return the unfitted estimator named by ``train.model``, configured by its section."""
    name = common.require(params, "model", "train")
    if name not in MODELS:
        raise common.UserError(
            f"params.yaml: train.model {name!r} is unknown; use one of: {', '.join(MODELS)}"
        )
    options = common.require(params, name, "train")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise common.UserError(f"params.yaml: train.{name} must map argument names to values")
    seed = common.require(params, "seed", "train")
    kind = estimator_class(name, task)
    accepted = set(kind().get_params())
    jobs = n_jobs(params)
    for key in options:
        if key in ("random_state", "n_jobs"):
            source = "seed" if key == "random_state" else "n_jobs"
            raise common.UserError(
                f"params.yaml: train.{name}.{key} comes from train.{source}; remove it"
            )
        if key not in accepted:
            raise common.UserError(
                f"params.yaml: train.{name}.{key} is not an argument of {kind.__name__}; "
                f"it takes: {', '.join(sorted(accepted - {'random_state'}))}"
            )
    if "random_state" in accepted:
        options = {**options, "random_state": seed}
    if kind.__name__ in PARALLEL:
        options = {**options, "n_jobs": jobs}
    return kind(**options)


def n_jobs(params: dict[str, Any]) -> int:
    """Return train.n_jobs, the cores to use, checked: a whole number >= 1, or -1 for all."""
    jobs = common.require(params, "n_jobs", "train")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs == 0 or jobs < -1:
        raise common.UserError(
            f"params.yaml: train.n_jobs must be a whole number >= 1, or -1, not {jobs!r}"
        )
    return jobs


def build_pipeline(features, task: str, params: dict[str, Any]):
    """Return an unfitted Pipeline: preprocessing for ``features``' columns, then the model."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    model = make_model(task, params)
    numeric, categorical = split_columns(features)
    as_object = FunctionTransformer(
        np.asarray, kw_args={"dtype": object}, feature_names_out="one-to-one"
    )
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("as_object", as_object),
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    preprocess = ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical)]
    )
    return Pipeline([("preprocess", preprocess), ("model", model)])


def check_target(frame, target: str, task: str) -> None:
    """Raise a UserError unless ``frame``'s target can train a model for ``task``."""
    from pandas.api import types

    if target not in frame.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    labels = frame[target].dropna()
    if labels.empty:
        raise common.UserError(f"target column {target!r} has no values ({len(frame)} rows)")
    if task == "regression" and (not types.is_numeric_dtype(labels) or types.is_bool_dtype(labels)):
        example = next((v for v in labels if not isinstance(v, (int, float))), labels.iloc[0])
        raise common.UserError(
            f"target column {target!r} is not numeric (e.g. {example!r}), which ingest.task: "
            "regression needs: convert it to numbers, or set ingest.task: classification"
        )
    if task == "classification" and labels.nunique() < 2:
        raise common.UserError(
            f"target column {target!r} has one class only ({labels.iloc[0]!r}); classification "
            "needs at least 2: fix the labels, or set ingest.task: regression"
        )


def fit(frame, target: str, task: str, params: dict[str, Any]):
    """Fit and return the pipeline on ``frame`` (features plus the ``target`` column)."""
    check_target(frame, target, task)
    features = frame.drop(columns=[target])
    pipeline = build_pipeline(features, task, params)
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        return pipeline.fit(features, frame[target])
    except InvalidParameterError as exc:  # a value in params.yaml the estimator refuses
        raise common.UserError(f"params.yaml: train.{params['model']}: {exc}") from exc
    except ValueError as exc:
        raise common.UserError(f"training failed: {exc}") from exc


def main(argv: list[str] | None = None, run=None) -> int:
    """The stage's command line; ``run`` stands in for fit() (the Spark stage's)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, help="training Parquet file")
    parser.add_argument("--model", required=True, help="joblib file to write")
    args = parser.parse_args(argv)
    try:
        target, task, params = common.stage_params("train")
        pipeline = (run or fit)(common.read_table(args.train), target, task, params)
    except common.UserError as exc:
        return common.fail(exc)
    import joblib

    with common.replacing(args.model) as temp:
        joblib.dump(pipeline, temp)
    print(f"train: {params['model']} -> {args.model}")
    return 0


if __name__ == "__main__":
    common.run(main)
