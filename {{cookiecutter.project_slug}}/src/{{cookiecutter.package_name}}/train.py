"""Train stage: fit a scikit-learn pipeline on the training split and save it."""

from __future__ import annotations

import argparse
from typing import Any

from . import common

OPTIONS = {
    "random_forest": ("n_estimators", "max_depth", "min_samples_leaf"),
    "gradient_boosting": ("learning_rate", "max_iter", "max_depth"),
    "linear": ("C",),
}
MODELS = tuple(OPTIONS)


def split_columns(frame) -> tuple[list[str], list[str]]:
    """Return (numeric, categorical) feature columns; booleans count as categorical."""
    from pandas.api import types

    numeric = [
        column
        for column in frame.columns
        if types.is_numeric_dtype(frame[column]) and not types.is_bool_dtype(frame[column])
    ]
    return numeric, [c for c in frame.columns if c not in numeric]


def make_model(task: str, params: dict[str, Any]):
    """Return the unfitted estimator named by ``train.model``."""
    name = common.require(params, "model", "train")
    if name not in MODELS:
        raise common.UserError(
            f"params.yaml: train.model {name!r} is unknown; use one of: {', '.join(MODELS)}"
        )
    options = common.require(params, name, "train") or {}
    for key in OPTIONS[name]:
        common.require(options, key, f"train.{name}")
    seed = common.require(params, "seed", "train")
    classify = task == "classification"
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        kind = RandomForestClassifier if classify else RandomForestRegressor
        return kind(
            n_estimators=options["n_estimators"],
            max_depth=options["max_depth"],
            min_samples_leaf=options["min_samples_leaf"],
            random_state=seed,
            n_jobs=1,
        )
    if name == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return kind(
            learning_rate=options["learning_rate"],
            max_iter=options["max_iter"],
            max_depth=options["max_depth"],
            random_state=seed,
        )
    strength = options["C"]
    if not isinstance(strength, (int, float)) or strength <= 0:
        raise common.UserError("params.yaml: train.linear.C must be a number > 0")
    if classify:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=strength, max_iter=1000)
    from sklearn.linear_model import Ridge

    return Ridge(alpha=1.0 / strength)


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


def fit(frame, target: str, task: str, params: dict[str, Any]):
    """Fit and return the pipeline on ``frame`` (features plus the ``target`` column)."""
    if target not in frame.columns:
        raise common.UserError(f"target column {target!r} not found; check ingest.target")
    features = frame.drop(columns=[target])
    pipeline = build_pipeline(features, task, params)
    try:
        return pipeline.fit(features, frame[target])
    except ValueError as exc:
        raise common.UserError(f"training failed: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, help="training Parquet file")
    parser.add_argument("--model", required=True, help="joblib file to write")
    args = parser.parse_args(argv)
    try:
        target, task, params = common.stage_params("train")
        pipeline = fit(common.read_table(args.train), target, task, params)
    except common.UserError as exc:
        return common.fail(exc)
    import joblib

    joblib.dump(pipeline, common.ensure_parent(args.model))
    print(f"train: {params['model']} -> {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
