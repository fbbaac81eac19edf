"""Behaviour of the configured model on the project's data, split as the pipeline does."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import balanced_accuracy_score, r2_score

from {{ cookiecutter.package_name }} import prepare, train


@pytest.fixture(scope="module")
def setup(project_params, raw_data) -> dict:
    """Target, task, quick training params and the train/test split of the project data."""
    target = str(project_params["ingest"]["target"])
    task = project_params["ingest"]["task"]
    params = {**project_params["train"]}
    forest, boosting = params["random_forest"], params["gradient_boosting"]
    params["random_forest"] = {**forest, "n_estimators": min(forest["n_estimators"], 50)}
    params["gradient_boosting"] = {**boosting, "max_iter": min(boosting["max_iter"], 50)}
    train_frame, test_frame = prepare.split(raw_data, target, task, project_params["prepare"])
    return {
        "target": target,
        "task": task,
        "params": params,
        "train": train_frame,
        "features": test_frame.drop(columns=[target]),
        "actual": test_frame[target],
    }


def fit(setup):
    return train.fit(setup["train"], setup["target"], setup["task"], setup["params"])


@pytest.fixture(scope="module")
def model(setup):
    return fit(setup)


def test_beats_a_dummy_baseline(setup, model):
    features, actual = setup["features"], setup["actual"]
    train_features = setup["train"].drop(columns=[setup["target"]])
    train_target = setup["train"][setup["target"]]
    if setup["task"] == "classification":
        dummy = DummyClassifier(strategy="most_frequent").fit(train_features, train_target)
        floor = balanced_accuracy_score(actual, dummy.predict(features))
        score = balanced_accuracy_score(actual, model.predict(features))
        assert score >= floor + min(0.2, (1 - floor) / 2), (score, floor)
    else:
        dummy = DummyRegressor(strategy="mean").fit(train_features, train_target)
        floor = r2_score(actual, dummy.predict(features))
        score = r2_score(actual, model.predict(features))
        assert score >= max(floor + 0.2, 0.2), (score, floor)


def test_same_seed_same_model(setup, model):
    again = fit(setup)
    features = setup["features"]
    np.testing.assert_array_equal(model.predict(features), again.predict(features))


def test_predictions_do_not_depend_on_row_order(setup, model):
    features = setup["features"]
    order = np.random.default_rng(0).permutation(len(features))
    shuffled = features.iloc[order]
    if setup["task"] == "classification":
        expected, got = model.predict_proba(features), model.predict_proba(shuffled)
    else:
        expected, got = model.predict(features), model.predict(shuffled)
    np.testing.assert_allclose(got, expected[order], rtol=1e-9, atol=1e-12)
