"""Train stage: fit the owners' pipeline (their features, then their model) and save it.

The owners' ``train.py`` passes ``build(features, task, params)``, which returns the
unfitted scikit-learn Pipeline, and their ``model.py`` calls ``configure`` to make the
estimator that ``train.model`` names: both stay short, and every check of params.yaml is here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from mlops_kit import common

Build = Callable[[Any, str, dict[str, Any]], Any]


def configure(models: dict[str, dict[str, type]], task: str, params: dict[str, Any], parallel=()):
    """Return the unfitted estimator ``models[train.model][task]``, with its keyword arguments
    from ``train.<model>``, ``random_state`` from ``train.seed`` when it takes one, and
    ``n_jobs`` from ``train.n_jobs`` when the model is one of ``parallel``."""
    name = common.require(params, "model", "train")
    if name not in models:
        raise common.UserError(
            f"params.yaml: train.model {name!r} is unknown; use one of: {', '.join(models)}"
        )
    if task not in models[name]:
        raise common.UserError(f"params.yaml: train.model {name!r} has no estimator for {task}")
    options = common.require(params, name, "train")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise common.UserError(f"params.yaml: train.{name} must map argument names to values")
    seed = common.require(params, "seed", "train")
    kind = models[name][task]
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
    if name in parallel and "n_jobs" in accepted:
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


def fit(frame, target: str, task: str, params: dict[str, Any], build: Build):
    """Fit and return ``build``'s pipeline on ``frame`` (features plus the ``target`` column)."""
    check_target(frame, target, task)
    features = frame.drop(columns=[target])
    pipeline = build(features, task, params)
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        return pipeline.fit(features, frame[target])
    except InvalidParameterError as exc:  # a value in params.yaml the estimator refuses
        raise common.UserError(f"params.yaml: train.{params['model']}: {exc}") from exc
    except ValueError as exc:
        raise common.UserError(f"training failed: {exc}") from exc


def main(argv: list[str] | None = None, build: Build | None = None, run=None) -> int:
    """The stage's command line: ``build`` makes the pipeline (the owners' train.py passes
    theirs); ``run`` stands in for fit() (the Spark stage's)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, help="training Parquet file")
    parser.add_argument("--model", required=True, help="joblib file to write")
    args = parser.parse_args(argv)
    try:
        target, task, params = common.stage_params("train")
        if params.get("segment_by") is not None:
            raise common.UserError(
                "params.yaml: train.segment_by is set, but dvc.yaml trains one model; a "
                "project with many models is generated with segment_by (or `cruft update "
                '--variables-to-update \'{"segment_by": "COLUMN"}\'`), see the README'
            )
        frame = common.read_table(args.train)
        pipeline = (run or fit)(frame, target, task, params, build)
    except common.UserError as exc:
        return common.fail(exc)
    import joblib

    with common.replacing(args.model) as temp:
        joblib.dump(pipeline, temp)
    print(f"train: {params['model']} -> {args.model}")
    common.before_exit(argv)
    return 0
