"""Behaviour of the configured model, refitted quickly on the project's data, split as the
pipeline does (tests/model/test_shipped_model.py checks the model the pipeline trained)."""

import numpy as np
import pytest

from mlops_kit.pipeline import prepare

from {{ cookiecutter.package_name }} import train


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
