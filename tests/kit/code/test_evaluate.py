import json

import joblib
import jsonschema
import numpy as np
import pandas as pd
import pytest
from mlops_kit import schemas
from mlops_kit.pipeline import evaluate

from kit.project import train

EVALUATE = {
    "importance_repeats": 2,
    "seed": 0,
    "importance": {"cluster_threshold": 0.3, "linkage": "average"},
    "partial_dependence": {"features": 2, "grid": 5},
}
CLASSIFICATION = {
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "precision_macro",
    "recall_macro",
    "roc_auc",
    "log_loss",
}


@pytest.fixture
def fitted(quick_train):
    def fit(frame, task, model="random_forest"):
        return train.fit(frame, "label", task, quick_train(task, model))

    return fit


def test_binary_classification(classification_frame, fitted):
    model = fitted(classification_frame, "classification")
    scores, plots = evaluate.evaluate(
        model, classification_frame, "label", "classification", EVALUATE
    )
    assert set(scores) == CLASSIFICATION
    assert scores["roc_auc"] > 0.5
    assert scores["roc_auc"] <= 1.0
    assert set(plots) == {"confusion", "roc", "precision_recall"}
    assert list(plots["confusion"].columns) == ["actual", "predicted"]
    assert len(plots["confusion"]) == len(classification_frame)
    assert list(plots["roc"].columns) == ["fpr", "tpr"]
    assert list(plots["precision_recall"].columns) == ["recall", "precision"]


def test_multiclass_uses_micro_average_curves(classification_frame, fitted):
    frame = classification_frame.assign(label=np.resize(["a", "b", "c"], len(classification_frame)))
    scores, plots = evaluate.evaluate(
        fitted(frame, "classification"), frame, "label", "classification", EVALUATE
    )
    assert scores["roc_auc"] is not None
    assert plots["roc"]["fpr"].iloc[-1] == pytest.approx(1.0)
    assert plots["roc"]["tpr"].iloc[-1] == pytest.approx(1.0)


def test_regression(regression_frame, fitted):
    model = fitted(regression_frame, "regression", model="linear")
    scores, plots = evaluate.evaluate(model, regression_frame, "label", "regression", EVALUATE)
    assert set(scores) == {"rmse", "mae", "r2"}
    assert scores["r2"] > 0.5
    assert list(plots["predictions"].columns) == ["actual", "predicted"]
    residuals = plots["residuals"]
    assert list(residuals.columns) == ["predicted", "residual"]
    np.testing.assert_allclose(
        residuals["residual"], regression_frame["label"] - residuals["predicted"]
    )


def features_of(frame) -> set[str]:
    return set(frame.columns) - {"label"}


def test_long_curves_are_thinned():
    curve = pd.DataFrame({"fpr": np.linspace(0, 1, 5000), "tpr": np.linspace(0, 1, 5000)})
    thin = evaluate._thin(curve)
    assert len(thin) <= evaluate.MAX_CURVE_POINTS
    assert thin.iloc[0].tolist() == [0.0, 0.0]
    assert thin.iloc[-1].tolist() == [1.0, 1.0]


def test_main_writes_metrics_plots_and_profile_only(
    workdir, params, set_params, fitted, classification_frame
):
    params["ingest"].update(target="label", task="classification")
    params["evaluate"] = EVALUATE
    set_params(params)
    joblib.dump(fitted(classification_frame, "classification"), "model.joblib")
    classification_frame.to_parquet("test.parquet", index=False)
    (workdir / "plots").mkdir()
    (workdir / "plots/stale.csv").write_text("old\n", encoding="utf-8")
    args = ["--model", "model.joblib", "--train", "test.parquet", "--test", "test.parquet"]
    args += ["--profile", "profile.json", "--slices", "slices.json"]
    args += ["--explain", "explain.json"]
    assert evaluate.main([*args, "--metrics", "metrics.json", "--plots", "plots"]) == 0
    scores = json.loads((workdir / "metrics.json").read_text(encoding="utf-8"))
    assert set(scores) == CLASSIFICATION
    assert sorted(p.name for p in (workdir / "plots").iterdir()) == [
        "confusion.csv",
        "feature_importance.csv",
        "group_importance.csv",
        "partial_dependence.csv",
        "precision_recall.csv",
        "roc.csv",
    ]
    header = (workdir / "plots/feature_importance.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "feature,importance"
    sliced = json.loads((workdir / "slices.json").read_text(encoding="utf-8"))
    assert sliced["slices"] == []  # evaluate.slices not set
    assert {name: m["value"] for name, m in sliced["overall"].items()} == scores
    explanation = json.loads((workdir / "explain.json").read_text(encoding="utf-8"))
    assert list(explanation) == ["features", "groups", "partial_dependence"]
    assert {row["feature"] for row in explanation["features"]} == features_of(classification_frame)
    reference = json.loads((workdir / "profile.json").read_text(encoding="utf-8"))
    assert set(reference["features"]) == features_of(classification_frame)
    assert reference["rows"] == len(classification_frame)
    assert reference["prediction"]["kind"] == "categorical"
    for name in ("metrics", "slices", "explain", "profile"):  # the shapes CI reads
        document = json.loads((workdir / f"{name}.json").read_text(encoding="utf-8"))
        jsonschema.validate(document, schemas.schema(name))


def test_main_without_model_is_one_line_error(workdir, capsys):
    args = ["--model", "absent.joblib", "--train", "t.parquet", "--test", "t.parquet"]
    args += ["--metrics", "m.json", "--profile", "p.json", "--slices", "s.json"]
    args += ["--explain", "e.json"]
    assert evaluate.main([*args, "--plots", "plots"]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "absent.joblib" in error


class Counting:
    """A fitted model that counts the rows it is asked to predict, by method."""

    calls: dict[str, list[int]] = {}

    def __init__(self, model):
        self.model, self.classes_ = model, model.classes_

    def predict(self, features):
        Counting.calls.setdefault("predict", []).append(len(features))
        return self.model.predict(features)

    def predict_proba(self, features):
        Counting.calls.setdefault("predict_proba", []).append(len(features))
        return self.model.predict_proba(features)

    def score(self, features, actual):
        Counting.calls.setdefault("score", []).append(len(features))
        return self.model.score(features, actual)

    def fit(self, features, actual):
        return self

    def get_params(self, deep=True):
        return {"model": self.model}


def test_the_test_split_is_predicted_once_for_metrics_slices_and_profile(
    workdir, params, set_params, fitted, classification_frame
):
    """One predict and one predict_proba of the whole split; the importances (scoring
    shuffled copies) and partial dependence ask the model themselves."""
    params["ingest"].update(target="label", task="classification")
    params["evaluate"] = {**EVALUATE, "slices": ["colour"]}
    set_params(params)
    joblib.dump(Counting(fitted(classification_frame, "classification")), "model.joblib")
    classification_frame.to_parquet("test.parquet", index=False)
    args = ["--model", "model.joblib", "--train", "test.parquet", "--test", "test.parquet"]
    args += ["--profile", "profile.json", "--slices", "slices.json", "--explain", "explain.json"]
    Counting.calls.clear()
    with pytest.MonkeyPatch.context() as patch:
        from mlops_kit.evaluation import explain

        patch.setattr(explain, "explain", lambda *a, **k: EMPTY_EXPLANATION)
        assert evaluate.main([*args, "--metrics", "metrics.json", "--plots", "plots"]) == 0
    rows = len(classification_frame)
    assert Counting.calls == {"predict": [rows], "predict_proba": [rows]}
    sliced = json.loads((workdir / "slices.json").read_text(encoding="utf-8"))
    scores = json.loads((workdir / "metrics.json").read_text(encoding="utf-8"))
    assert {name: m["value"] for name, m in sliced["overall"].items()} == scores


EMPTY_EXPLANATION = {"features": [], "groups": [], "partial_dependence": []}
