"""The team's features.py and model.py on the tests' own tiny frames and parameters, with
the default model names (tests/model fits them on the project's data; the kit's train stage,
which model.build calls, is tested in the template)."""

import pytest

from mlops_kit import common
from mlops_kit.segments import names

from {{ cookiecutter.package_name }} import features
from {{ cookiecutter.package_name }}.model import MODELS
from {{ cookiecutter.package_name }}.model import build as build_model


def test_columns_are_split_by_kind(classification_frame):
    numeric, categorical = features.split_columns(classification_frame.drop(columns=["label"]))
    assert numeric == ["size", "visits"]
    assert categorical == ["colour", "member", "code"]


def test_every_model_has_a_section_and_an_estimator_for_the_task(project_params):
    """The project's params.yaml (the one test here about it) has a section of arguments for
    every name in MODELS, and chooses one; each name's class for the project's task has
    scikit-learn's estimator API."""
    task = project_params["ingest"]["task"]
    layout = set(names.LAYOUT_KEYS)  # which models there are (train.segment_by), not how
    sections = set(project_params["train"]) - {"model", "seed", "n_jobs"} - layout
    assert sections == set(MODELS)
    assert project_params["train"]["model"] in MODELS
    needed = ("fit", "predict", "get_params") + (
        ("predict_proba",) if task == "classification" else ()
    )
    for name, classes in MODELS.items():
        assert task in classes, f"MODELS[{name!r}] has no class for {task}"
        missing = [m for m in needed if not callable(getattr(classes[task], m, None))]
        assert not missing, f"MODELS[{name!r}][{task!r}] has no {', '.join(missing)}"


def test_hyperparameters_come_from_params(quick_train):
    values = quick_train("classification", "random_forest")
    values["random_forest"].update(n_estimators=7, max_depth=3, min_samples_leaf=2)
    values.update(seed=11, n_jobs=2)
    model = build_model("classification", values)
    assert (model.n_estimators, model.max_depth, model.min_samples_leaf) == (7, 3, 2)
    assert (model.n_jobs, model.random_state) == (2, 11)
    values["linear"] = {"alpha": 4.0}
    ridge = build_model("regression", {**values, "model": "linear"})
    assert (ridge.alpha, ridge.random_state) == (4.0, 11)


def test_a_new_hyperparameter_is_one_entry_in_params(quick_train):
    values = quick_train("regression", "gradient_boosting")
    values["gradient_boosting"]["l2_regularization"] = 0.5
    assert build_model("regression", values).l2_regularization == 0.5


@pytest.mark.parametrize(
    ("model", "task", "expected"),
    [
        ("random_forest", "classification", 3),
        ("random_forest", "regression", 3),
        ("gradient_boosting", "classification", None),
        ("linear", "classification", None),
        ("linear", "regression", None),
    ],
)
def test_n_jobs_reaches_every_estimator_that_uses_it(quick_train, model, task, expected):
    values = {**quick_train(task, model), "n_jobs": 3}
    made = build_model(task, values)
    assert made.get_params().get("n_jobs") == expected


def test_unknown_model_lists_the_allowed_ones(params):
    with pytest.raises(common.UserError, match=", ".join(MODELS)):
        build_model("classification", {**params["train"], "model": "no_such_model"})
