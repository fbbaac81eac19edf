import joblib
import numpy as np
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from mlops_kit import common

from {{ cookiecutter.package_name }} import features, train
from {{ cookiecutter.package_name }}.model import MODELS
from {{ cookiecutter.package_name }}.model import build as build_model

FAMILIES = {
    ("random_forest", "classification"): RandomForestClassifier,
    ("random_forest", "regression"): RandomForestRegressor,
    ("gradient_boosting", "classification"): HistGradientBoostingClassifier,
    ("gradient_boosting", "regression"): HistGradientBoostingRegressor,
    ("linear", "classification"): LogisticRegression,
    ("linear", "regression"): Ridge,
}


@pytest.mark.parametrize(("model", "task"), list(FAMILIES))
def test_each_family_fits_and_predicts(model, task, quick_train, request):
    frame = request.getfixturevalue(f"{task}_frame")
    pipeline = train.fit(frame, "label", task, quick_train(task, model))
    assert isinstance(pipeline.named_steps["model"], FAMILIES[model, task])
    predictions = pipeline.predict(frame.drop(columns=["label"]))
    assert len(predictions) == len(frame)
    if task == "classification":
        assert set(predictions) <= {"high", "low"}
        assert (predictions == frame["label"]).mean() > 0.7
    else:
        assert ((predictions - frame["label"]) ** 2).mean() < frame["label"].var()


def test_columns_are_split_by_kind(classification_frame):
    numeric, categorical = features.split_columns(classification_frame.drop(columns=["label"]))
    assert numeric == ["size", "visits"]
    assert categorical == ["colour", "member", "code"]


def test_preprocessing_imputes_scales_and_encodes(classification_frame, quick_train):
    values = quick_train("classification", "linear")
    pipeline = train.fit(classification_frame, "label", "classification", values)
    features = classification_frame.drop(columns=["label"])
    matrix = pipeline[:-1].transform(features)
    levels = sum(features[c].nunique() for c in ["colour", "member", "code"])
    assert matrix.shape == (len(features), 2 + levels)
    assert not np.isnan(matrix).any()
    np.testing.assert_allclose(matrix[:, :2].mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(matrix[:, :2].std(axis=0), 1.0, atol=1e-9)
    np.testing.assert_array_equal(matrix[:, 2:].sum(axis=1), 3.0)


def test_unseen_categories_and_gaps_at_predict_time(classification_frame, quick_train):
    values = quick_train("classification", "linear")
    pipeline = train.fit(classification_frame, "label", "classification", values)
    new = classification_frame.drop(columns=["label"]).head(3).copy()
    new["colour"] = ["purple", None, "red"]
    new["size"] = float("nan")
    assert len(pipeline.predict(new)) == 3


def test_every_model_has_a_section_and_an_estimator_per_task(project_params):
    """The project's params.yaml (the one test here about it) names every model's arguments."""
    sections = set(project_params["train"]) - {"model", "seed", "n_jobs"}
    assert sections == set(MODELS)
    for model, task in FAMILIES:
        assert MODELS[model][task] is FAMILIES[model, task]


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


def test_unknown_argument_names_it_and_what_the_estimator_takes(quick_train):
    values = quick_train("classification", "random_forest")
    values["random_forest"]["n_estimator"] = 5
    with pytest.raises(common.UserError) as error:
        build_model("classification", values)
    message = str(error.value)
    assert "train.random_forest.n_estimator is not an argument of RandomForestClassifier" in message
    assert "n_estimators, n_jobs, oob_score" in message
    assert "random_state" not in message.split("takes: ")[1]


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


def test_n_jobs_is_one_setting_for_every_model(quick_train):
    values = quick_train("classification", "random_forest")
    values["random_forest"]["n_jobs"] = 2
    with pytest.raises(
        common.UserError, match="train.random_forest.n_jobs comes from train.n_jobs"
    ):
        build_model("classification", values)
    values["random_forest"].pop("n_jobs")
    for bad in (0, -2, 1.5, True, "all"):
        with pytest.raises(common.UserError, match="train.n_jobs must be a whole number >= 1"):
            build_model("classification", {**values, "n_jobs": bad})


def test_random_state_comes_from_the_seed_only(quick_train):
    values = quick_train("classification", "linear")
    values["linear"] = {"random_state": 3}
    with pytest.raises(common.UserError, match="train.linear.random_state comes from train.seed"):
        build_model("classification", values)


def test_unknown_model_lists_the_allowed_ones(params):
    with pytest.raises(common.UserError, match="random_forest, gradient_boosting, linear"):
        build_model("classification", {**params["train"], "model": "svm"})


def test_main_saves_a_model(workdir, params, set_params, quick_train, regression_frame):
    params["train"] = quick_train("regression", "gradient_boosting")
    params["ingest"].update(target="label", task="regression")
    set_params(params)
    regression_frame.to_parquet("train.parquet", index=False)
    assert train.main(["--train", "train.parquet", "--model", "models/model.joblib"]) == 0
    model = joblib.load(workdir / "models/model.joblib")
    assert len(model.predict(regression_frame.drop(columns=["label"]))) == len(regression_frame)


def test_main_reports_a_bad_model_in_one_line(
    workdir, params, set_params, capsys, regression_frame
):
    params["ingest"].update(target="label", task="regression")
    params["train"]["model"] = "svm"
    set_params(params)
    regression_frame.to_parquet("train.parquet", index=False)
    assert train.main(["--train", "train.parquet", "--model", "model.joblib"]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "'svm'" in error


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("n_estimators", 0, "train.random_forest: The 'n_estimators' parameter"),
        ("n_estimator", 5, "train.random_forest.n_estimator is not an argument"),
    ],
)
def test_main_reports_a_bad_hyperparameter_in_one_line(
    workdir, params, set_params, capsys, classification_frame, key, value, expected
):
    params["ingest"].update(target="label", task="classification")
    params["train"]["random_forest"][key] = value
    set_params(params)
    classification_frame.to_parquet("train.parquet", index=False)
    assert train.main(["--train", "train.parquet", "--model", "model.joblib"]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert expected in error
    assert "Traceback" not in error
    assert not (workdir / "model.joblib").exists()
