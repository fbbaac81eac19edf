"""The kit's train stage (mlops_kit.pipeline.train: configure, fit, main) with the template's
default features.py and model.py: the families fit, the default features impute, scale and
encode, params.yaml's train section reaches the estimator, and a bad value is one line."""

import joblib
import numpy as np
import pytest
from mlops_kit import common
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from kit.project import model as owners_model
from kit.project import train

MODELS = owners_model.MODELS
build_model = owners_model.build

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


def test_the_default_models_are_the_families(params):
    """Each name of model.py's MODELS, with its class per task, and a section in params."""
    assert set(MODELS) == {model for model, _ in FAMILIES}
    assert set(params["train"]) - {"model", "seed", "n_jobs"} == set(MODELS)
    for model, task in FAMILIES:
        assert MODELS[model][task] is FAMILIES[model, task]


def test_unknown_argument_names_it_and_what_the_estimator_takes(quick_train):
    values = quick_train("classification", "random_forest")
    values["random_forest"]["n_estimator"] = 5
    with pytest.raises(common.UserError) as error:
        build_model("classification", values)
    message = str(error.value)
    assert "train.random_forest.n_estimator is not an argument of RandomForestClassifier" in message
    assert "n_estimators, n_jobs, oob_score" in message
    assert "random_state" not in message.split("takes: ")[1]


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
