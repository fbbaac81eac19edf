"""What the model tests share: the quality floor, set by ``quality.min_lift`` in params.yaml."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def min_lift(project_params) -> float:
    value = (project_params.get("quality") or {}).get("min_lift")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        pytest.fail("params.yaml: quality.min_lift must be a number; add it", pytrace=False)
    return float(value)


@pytest.fixture(scope="session")
def check_quality(min_lift):
    """Assert that ``model`` beats a dummy baseline on ``test`` by ``quality.min_lift``."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.metrics import balanced_accuracy_score, r2_score

    def check(model, train, test, target: str, task: str) -> None:
        if task == "classification":
            name, score, dummy = "balanced accuracy", balanced_accuracy_score, DummyClassifier()
        else:
            name, score, dummy = "R²", r2_score, DummyRegressor()
        dummy.fit(train.drop(columns=[target]), train[target])
        features, actual = test.drop(columns=[target]), test[target]
        baseline = score(actual, dummy.predict(features))
        got = score(actual, model.predict(features))
        assert got >= baseline + min_lift, (
            f"{name} {got:.3f} on the test split is below the dummy's {baseline:.3f} plus "
            f"quality.min_lift ({min_lift:g}, params.yaml): improve the model, or lower "
            "quality.min_lift if the data is that hard"
        )

    return check


def outputs(model, features) -> np.ndarray:
    """What the model says about each row: class probabilities, or predicted values."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(features)
    return model.predict(features)


@pytest.fixture(scope="session")
def same_answers():
    """Assert that ``second`` says about ``features`` in the given row ``order`` what
    ``first`` says about them in theirs, to the last digits, which the order of a sum may
    change (train.n_jobs above 1)."""

    def check(first, second, features, order=None) -> None:
        expected = outputs(first, features)
        if order is not None:
            features, expected = features.iloc[order], expected[order]
        np.testing.assert_allclose(outputs(second, features), expected, rtol=1e-9, atol=1e-12)

    return check
