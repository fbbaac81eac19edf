import copy

import numpy as np
import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.evaluation import explain, grouping

from kit.project import train

SETTINGS = {
    "importance_repeats": 3,
    "seed": 0,
    "importance": {"cluster_threshold": 0.3, "linkage": "average"},
    "partial_dependence": {"features": 2, "grid": 6},
}


def correlated(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Three near-copies of one signal, an unrelated number, a category and the label."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(0.0, 1.0, rows)
    return pd.DataFrame(
        {
            "a": signal,
            "a twice": 2.0 * signal + rng.normal(0.0, 0.05, rows),
            "a cubed": signal**3,
            "noise": rng.normal(0.0, 1.0, rows),
            "colour": rng.choice(["red", "blue"], rows),
            "label": np.where(signal > 0, "yes", "no"),
        }
    )


def test_correlated_numbers_cluster_and_other_columns_stand_alone():
    frame = correlated().drop(columns="label")
    assert explain.clusters(frame, 0.3) == [["a", "a twice", "a cubed"], ["noise"], ["colour"]]
    # Rank correlation: the cube has the signal's very ranks; the noisy copy nearly.
    assert explain.clusters(frame, 0.0) == [["a", "a cubed"], ["a twice"], ["noise"], ["colour"]]
    assert explain.clusters(frame, 2.0, "complete") == [
        ["a", "a twice", "a cubed", "noise"],
        ["colour"],
    ]


def test_booleans_constants_and_single_numbers_are_their_own_groups():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "flag": [True, False, True, False]})
    assert explain.clusters(frame, 0.3) == [["x"], ["flag"]]
    constant = frame.assign(flag=1.0, y=[2.0, 4.0, 6.0, 8.5])
    assert explain.clusters(constant, 0.3, "ward") == [["x", "y"], ["flag"]]


def test_a_group_shuffled_together_counts_what_its_members_share(quick_train):
    frame = correlated()
    model = train.fit(frame, "label", "classification", quick_train("classification", "linear"))
    found = explain.explain(model, frame.drop(columns="label"), frame["label"], SETTINGS)
    top = found["groups"][0]
    assert set(top["members"]) == {"a", "a twice", "a cubed"}
    assert top["group"] == f"{top['members'][0]} +2"
    single = {row["feature"]: row["importance"] for row in found["features"]}
    assert top["importance"] > 0.3
    assert top["importance"] > 2 * max(single[name] for name in top["members"])
    assert [g["importance"] for g in found["groups"]] == sorted(
        (g["importance"] for g in found["groups"]), reverse=True
    )
    assert [row["feature"] for row in found["features"]][0] == top["members"][0]
    assert {g["group"] for g in found["groups"][1:]} == {"noise", "colour"}
    for alone in found["groups"][1:]:  # a group of one column is that column's importance
        (row,) = [r for r in found["features"] if r["feature"] == alone["group"]]
        assert (alone["importance"], alone["std"]) == (row["importance"], row["std"])


def test_a_large_split_is_grouped_and_averaged_on_samples(quick_train, monkeypatch):
    """Above CORRELATION_ROWS and DEPENDENCE_ROWS rows, the groups and the curves come from
    seeded samples: the same groups as all the rows give, and curves close to theirs."""
    frame = correlated(rows=3000, seed=1)
    model = train.fit(frame, "label", "classification", quick_train("classification", "linear"))
    features = frame.drop(columns="label")
    whole = explain.clusters(features, 0.3)
    full = explain.dependence(model, features, ["a", "noise"], 6)
    monkeypatch.setattr(grouping, "CORRELATION_ROWS", 500)
    monkeypatch.setattr(explain, "DEPENDENCE_ROWS", 500)
    assert explain.clusters(features, 0.3, seed=3) == whole
    sampled = explain.dependence(model, features, ["a", "noise"], 6, seed=3)
    assert sampled != full  # another set of rows, so other grid values
    for mine, theirs in zip(sampled, full, strict=True):
        assert mine["feature"] == theirs["feature"]
        assert np.interp(theirs["grid"], mine["grid"], mine["average"]) == pytest.approx(
            theirs["average"], abs=0.05
        )


def test_partial_dependence_of_the_top_numbers_for_the_positive_class(quick_train):
    frame = correlated()
    model = train.fit(frame, "label", "classification", quick_train("classification", "linear"))
    found = explain.explain(model, frame.drop(columns="label"), frame["label"], SETTINGS)
    curves = found["partial_dependence"]
    top = found["groups"][0]["members"][0]
    assert [(c["feature"], c["class"]) for c in curves] == [(top, "yes"), ("noise", "yes")]
    first = curves[0]
    assert len(first["grid"]) == len(first["average"]) == 6
    assert first["grid"] == sorted(first["grid"])
    assert first["average"][-1] > first["average"][0] + 0.2  # more signal, more "yes"
    assert all(0.0 <= p <= 1.0 for p in first["average"])


def test_multiclass_has_a_curve_per_class_regression_one_without(quick_train, regression_frame):
    frame = correlated().assign(label=lambda f: np.resize(["x", "y", "z"], len(f)))
    model = train.fit(frame, "label", "classification", quick_train("classification", "linear"))
    curves = explain.dependence(model, frame.drop(columns="label"), ["a"], 5)
    assert [c["class"] for c in curves] == ["x", "y", "z"]
    model = train.fit(regression_frame, "label", "regression", quick_train("regression", "linear"))
    features = regression_frame.drop(columns="label")
    curves = explain.dependence(model, features, ["size", "visits"], 5)
    assert [(c["feature"], c["class"]) for c in curves] == [("size", None), ("visits", None)]
    assert curves[1]["grid"] == [0.0, 1.0, 2.0, 3.0, 4.0]  # fewer values than grid points


def test_plot_frames_hold_the_explanation(quick_train, classification_frame):
    model = train.fit(
        classification_frame, "label", "classification", quick_train("classification", "linear")
    )
    features = classification_frame.drop(columns="label")
    found = explain.explain(model, features, classification_frame["label"], SETTINGS)
    plots = explain.plots(found)
    assert list(plots["feature_importance"].columns) == ["feature", "importance"]
    assert list(plots["group_importance"].columns) == ["group", "importance"]
    assert list(plots["partial_dependence"].columns) == ["feature", "class", "value", "average"]
    assert sorted(m for g in found["groups"] for m in g["members"]) == sorted(features.columns)
    curves = found["partial_dependence"]
    assert len(plots["partial_dependence"]) == sum(len(c["grid"]) for c in curves)
    assert {c["feature"] for c in curves} <= {"size", "visits"}  # numbers only


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("importance.linkage", "median", "evaluate.importance.linkage must be one of average"),
        ("importance.cluster_threshold", -1, "cluster_threshold must be a number >= 0"),
        ("importance.cluster_threshold", "0.3", "cluster_threshold must be a number >= 0"),
        ("partial_dependence.grid", 1, "partial_dependence.grid must be a whole number >= 2"),
        ("importance_repeats", 0.5, "importance_repeats must be a whole number >= 1"),
        ("importance", 0.3, "'evaluate.importance' must be a mapping holding 'linkage'"),
        ("partial_dependence", None, "'evaluate.partial_dependence' must be a mapping"),
        ("importance.max_rows", 0, "importance.max_rows must be a whole number >= 1 or null"),
        ("importance.max_rows", 1.5, "importance.max_rows must be a whole number >= 1 or null"),
        ("importance.max_rows", True, "importance.max_rows must be a whole number >= 1 or null"),
    ],
)
def test_bad_settings_name_the_parameter(key, value, message):
    params = copy.deepcopy(SETTINGS)
    *path, last = key.split(".")
    node = params
    for part in path:
        node = node[part]
    node[last] = value
    with pytest.raises(common.UserError, match=message.replace("(", r"\(")):
        explain.settings(params)


def test_a_missing_setting_is_named():
    params = copy.deepcopy(SETTINGS)
    del params["partial_dependence"]["features"]
    missing = r"'evaluate.partial_dependence.features' is missing"
    with pytest.raises(common.UserError, match=missing):
        explain.settings(params)


def test_the_importances_use_one_seeded_sample_of_max_rows(quick_train, monkeypatch):
    """Above evaluate.importance.max_rows rows, both importances score the same seeded sample;
    at or below it (and with null), every row, as before."""
    frame = correlated(rows=300)
    features, actual = frame.drop(columns="label"), frame["label"]
    model = train.fit(frame, "label", "classification", quick_train("classification", "linear"))
    seen = []
    real_single, real_groups = explain.feature_importance, explain.group_importance

    def single(model, shuffled, truth, *args, **kwargs):
        seen.append(("single", list(shuffled.index), list(truth.index)))
        return real_single(model, shuffled, truth, *args, **kwargs)

    def groups(model, shuffled, truth, *args, **kwargs):
        seen.append(("groups", list(shuffled.index), list(truth.index)))
        return real_groups(model, shuffled, truth, *args, **kwargs)

    monkeypatch.setattr(explain, "feature_importance", single)
    monkeypatch.setattr(explain, "group_importance", groups)
    for most, rows in ((100, 100), (300, 300), (None, 300)):
        seen.clear()
        params = copy.deepcopy(SETTINGS)
        params["importance"]["max_rows"] = most
        found = explain.explain(model, features, actual, params)
        assert [kind for kind, _, _ in seen] == ["single", "groups"]
        (_, first, truth), (_, second, _) = seen
        assert len(first) == rows
        assert first == second == truth == sorted(first)  # one sample, rows in their order
        assert {row["feature"] for row in found["features"]} == set(features.columns)
    monkeypatch.undo()
    params = copy.deepcopy(SETTINGS)
    params["importance"]["max_rows"] = 100
    assert explain.explain(model, features, actual, params) == explain.explain(
        model, features, actual, params
    )  # the same sample each time: the seed's
