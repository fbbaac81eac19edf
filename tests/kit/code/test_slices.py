"""Metrics by slice: the resampled metrics against evaluate.py's, the slices and their
intervals on seeded data, and the one-line errors for bad `evaluate.slices` items."""

import warnings

import numpy as np
import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.evaluation import bootstrap, predictions, slices
from mlops_kit.pipeline import evaluate

from kit.project import train

BOOT = {"resamples": 400, "seed": 7, "confidence": 0.95}


def rows(n, count=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, (count, n))


@pytest.mark.parametrize("labels", [["a", "b"], ["a", "b", "c"]], ids=["binary", "multiclass"])
def test_resampled_classification_metrics_are_evaluate_s(labels):
    rng = np.random.default_rng(1)
    n = 40
    actual = pd.Series(rng.choice(labels, n))
    proba = rng.random((n, len(labels)))
    proba /= proba.sum(axis=1, keepdims=True)
    classes = np.array(labels)
    draws = rows(n)
    draws[0] = np.flatnonzero(actual.to_numpy() != "a")[0]  # one class only: undefined AUC
    many = bootstrap.classification(actual, proba, classes, draws)
    model = predictions.Predictions(classes[proba.argmax(axis=1)], proba, classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, picked in enumerate(draws):
            expected = evaluate.classification(model, picked, actual.iloc[picked])[0]
            for name, value in expected.items():
                got = many[name][i]
                if value is None or np.isnan(value):  # scikit-learn warns, or refuses
                    assert np.isnan(got), (i, name)
                else:
                    assert got == pytest.approx(value, abs=1e-9), (i, name)


def test_resampled_regression_metrics_are_evaluate_s():
    rng = np.random.default_rng(2)
    actual, predicted = rng.normal(0, 1, 30), rng.normal(0, 1, 30)
    draws = rows(30)
    many = bootstrap.regression(actual, predicted, draws)
    model = predictions.Predictions(predicted, None, None)
    for i, picked in enumerate(draws):
        expected = evaluate.regression(model, picked, pd.Series(actual[picked]))[0]
        for name, value in expected.items():
            assert many[name][i] == pytest.approx(value, abs=1e-9), (i, name)


@pytest.fixture
def grouped(fitted_linear):
    """A regression split whose group "noisy" has 10 times the noise of group "quiet",
    and a group "few" of 12 rows."""
    rng = np.random.default_rng(3)
    group = np.array(["quiet"] * 150 + ["noisy"] * 150 + ["few"] * 12)
    x = rng.normal(0, 1, len(group))
    noise = np.where(group == "noisy", 3.0, 0.3) * rng.normal(0, 1, len(group))
    frame = pd.DataFrame({"x": x, "age": rng.uniform(20, 70, len(group)), "group": group})
    frame["label"] = 2 * x + noise
    return frame, fitted_linear(frame)


@pytest.fixture
def fitted_linear(quick_train):
    def fit(frame):
        return train.fit(frame, "label", "regression", quick_train("regression", "linear"))

    return fit


def build(frame, model, items, min_size=30):
    params = {"slices": items, "bootstrap": BOOT, "min_slice_size": min_size}
    return slices.build(model, frame, "label", "regression", params, evaluate.regression)


def test_slices_intervals_gaps_and_min_size(grouped):
    frame, model = grouped
    found = build(frame, model, ["group"])
    assert (found["confidence"], found["resamples"], found["min_size"]) == (0.95, 400, 30)
    assert found["max_rows"] == slices.MAX_ROWS
    scores = evaluate.evaluate(
        model, frame, "label", "regression", {"importance_repeats": 1, "seed": 0}
    )[0]
    assert {k: v["value"] for k, v in found["overall"].items()} == scores
    [column] = found["slices"]
    assert (column["column"], column["binning"]) == ("group", None)
    by_value = {v["value"]: v for v in column["values"]}
    assert {k: (v["n"], v["gated"]) for k, v in by_value.items()} == {
        "quiet": (150, True),
        "noisy": (150, True),
        "few": (12, False),  # reported with its n, never gated
    }
    for value in column["values"]:
        for metric in value["metrics"].values():
            assert metric["low"] <= metric["value"] <= metric["high"]
    quiet, noisy = by_value["quiet"]["metrics"]["r2"], by_value["noisy"]["metrics"]["r2"]
    assert quiet["low"] > noisy["high"]  # a real difference: the intervals are apart
    gap = column["gaps"]["r2"]
    assert gap["between"] == ["quiet", "noisy"]  # "few" is left out of the gaps
    assert gap["value"] == pytest.approx(quiet["value"] - noisy["value"], abs=1e-5)
    assert 0 < gap["low"] <= gap["value"] <= gap["high"]
    assert column["gaps"]["rmse"]["between"] == ["noisy", "quiet"]
    assert build(frame, model, ["group"]) == found  # seeded: the same every run


def test_a_slice_under_min_size_leaves_no_gap(grouped):
    frame, model = grouped
    column = build(frame, model, ["group"], min_size=151)["slices"][0]
    assert [v["gated"] for v in column["values"]] == [False, False, False]
    assert column["gaps"] == {}


def test_numbers_are_binned_by_edges_or_quantiles(grouped):
    frame, model = grouped
    edges, quarters = build(
        frame, model, [{"column": "age", "bins": [30, 50]}, {"column": "age", "quantiles": 4}]
    )["slices"]
    assert edges["binning"] == "bins [30, 50]"
    assert [v["value"] for v in edges["values"]] == ["[-inf, 30)", "[30, 50)", "[50, inf)"]
    assert sum(v["n"] for v in edges["values"]) == len(frame)
    assert (frame["age"] < 30).sum() == edges["values"][0]["n"]
    assert quarters["binning"].startswith("quantiles 4: ")
    assert sorted(v["n"] for v in quarters["values"]) == [78, 78, 78, 78]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("absent", "names no column of the test split"),
        ("age", "'age' is a number with 312 values; bin it, e.g. {column: age, bins: [30, 50]}"),
        ({"column": "group", "bins": [1]}, "give a number column with bins"),
        ({"column": "age", "bins": "30"}, "bins must be a list of numbers"),
        ({"column": "age", "quantiles": 1}, "quantiles must be a whole number >= 2"),
    ],
)
def test_a_bad_slice_item_is_one_clear_error(grouped, item, message):
    frame, model = grouped
    with pytest.raises(common.UserError, match="evaluate.slices item") as error:
        build(frame, model, [item])
    assert message in str(error.value)


def test_bad_bootstrap_settings_are_named():
    with pytest.raises(common.UserError, match="evaluate.bootstrap.confidence"):
        slices.settings({"bootstrap": {"confidence": 95}})
    with pytest.raises(common.UserError, match="evaluate.min_slice_size"):
        slices.settings({"min_slice_size": 0})
    with pytest.raises(common.UserError, match="evaluate.bootstrap.max_rows"):
        slices.settings({"bootstrap": {"max_rows": 0.5}})


def test_a_large_split_is_resampled_m_out_of_n_with_the_spread_of_n_rows():
    """Resamples of 1,000 of 20,000 rows, rescaled, spread as resamples of all 20,000 do,
    around the value on every row; left unscaled they would spread about 4.5 times wider."""
    rng = np.random.default_rng(5)
    n = 20_000
    labels = np.array(["a", "b"])
    actual = pd.Series(rng.choice(labels, n))
    positive = np.clip(0.35 * (actual.to_numpy() == "b") + rng.uniform(0.1, 0.75, n), 0, 1)
    proba = np.stack([1 - positive, positive], axis=1)
    truth, guess = rng.normal(0, 1, n), rng.normal(0, 1, n)
    every = np.arange(n)
    for task, args in (
        ("classification", (actual, None, proba, labels)),
        ("regression", (truth, guess + truth, None, None)),
    ):
        exact = bootstrap.resampled(task, *args, every, 300, np.random.default_rng(0))
        few = bootstrap.resampled(task, *args, every, 300, np.random.default_rng(0), 1000)
        if task == "classification":
            whole = bootstrap.classification(actual, proba, labels, every[None, :])
        else:
            whole = bootstrap.regression(truth, guess + truth, every[None, :])
        for name, draws in few.items():
            spread = np.std(exact[name])
            assert np.std(draws) == pytest.approx(spread, rel=0.25), (task, name)
            assert np.mean(draws) == pytest.approx(whole[name][0], abs=spread), (task, name)
