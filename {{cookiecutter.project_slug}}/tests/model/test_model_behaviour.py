"""Behaviour of the configured model, refitted quickly on the project's data, split as the
pipeline does (tests/model/test_shipped_model.py checks the model the pipeline trained)."""

import numpy as np
import pytest

from mlops_kit.pipeline import prepare

from {{ cookiecutter.package_name }} import train
from {{ cookiecutter.package_name }}.model import MODELS

QUICK = {"n_estimators": 50, "max_iter": 50}  # trees and boosting rounds, at most


def quick(section: dict, estimator) -> dict:
    """``section`` with fewer trees and rounds for scikit-learn's ensembles: quicker to fit,
    and the same kind of model."""
    if not estimator.__module__.startswith("sklearn.ensemble"):
        return section
    taken = estimator().get_params()
    fewer = {key: min(section.get(key) or most, most) for key, most in QUICK.items()}
    return {**section, **{key: value for key, value in fewer.items() if key in taken}}


@pytest.fixture(scope="module")
def setup(project_params, model_data) -> dict:
    """Target, task, quick training params and the train/test split of the project data."""
    target = str(project_params["ingest"]["target"])
    task = project_params["ingest"]["task"]
    params = {**project_params["train"]}
    for name in MODELS:
        if isinstance(params.get(name), dict):
            params[name] = quick(params[name], MODELS[name][task])
    train_frame, test_frame = prepare.split(model_data, target, task, project_params["prepare"])
    return {
        "target": target,
        "task": task,
        "params": params,
        "train": train_frame,
        "test": test_frame,
        "features": test_frame.drop(columns=[target]),
    }


def fit(setup):
    return train.fit(setup["train"], setup["target"], setup["task"], setup["params"])


@pytest.fixture(scope="module")
def model(setup):
    return fit(setup)


def test_beats_a_dummy_baseline(setup, model, check_quality):
    check_quality(model, setup["train"], setup["test"], setup["target"], setup["task"])


def test_same_seed_same_model(setup, model, same_answers):
    same_answers(model, fit(setup), setup["features"])


def test_predictions_do_not_depend_on_row_order(setup, model, same_answers):
    order = np.random.default_rng(0).permutation(len(setup["features"]))
    same_answers(model, model, setup["features"], order)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_fits_and_predicts_each_row(setup, name):
    """Each name of model.py's MODELS, with the features of features.py, on the project's data."""
    params = {**setup["params"], "model": name}
    fitted = train.fit(setup["train"], setup["target"], setup["task"], params)
    predicted = fitted.predict(setup["features"])
    assert len(predicted) == len(setup["features"])
    if setup["task"] == "classification":
        assert set(predicted) <= set(setup["train"][setup["target"]])
    else:
        assert np.isfinite(predicted).all()


def test_gaps_and_unseen_categories_are_predicted(setup, model):
    """As the service and batch prediction receive them: missing values in every column, and
    a category the training split never had."""
    from pandas.api import types

    rows = setup["features"].head(20).copy()
    for column in rows.columns:
        if types.is_numeric_dtype(rows[column]) and not types.is_bool_dtype(rows[column]):
            rows[column] = rows[column].astype("float64")
            rows.loc[rows.index[::2], column] = np.nan
        else:
            rows[column] = rows[column].astype(object)
            rows.loc[rows.index[::2], column] = None
            rows.loc[rows.index[1::2], column] = "a value never seen in training"
    predicted = model.predict(rows)
    assert len(predicted) == len(rows)
    if setup["task"] == "regression":
        assert np.isfinite(predicted).all()
