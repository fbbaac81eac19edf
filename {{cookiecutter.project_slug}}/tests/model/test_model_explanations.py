"""Explanations of a random forest (the project's `train.random_forest` section, fewer trees)
fitted on the project's data as the pipeline splits it: correlated columns shuffled together
must show what it uses. A forest whatever `train.model` says, so that these judge the
explanation, and test_model_behaviour.py's quality floor judges the configured model."""

import pytest

from mlops_kit.evaluation import explain, profile
from mlops_kit.pipeline import prepare

from {{ cookiecutter.package_name }} import train

# What shuffling the most important group must cost the score (accuracy, or R²). When the
# signal of your data is spread thin over many unrelated columns, lower it rather than
# delete the test.
MIN_GROUP_IMPORTANCE = 0.05


@pytest.fixture(scope="module")
def explanation(project_params, model_data) -> dict:
    target = str(project_params["ingest"]["target"])
    task = project_params["ingest"]["task"]
    params = {**project_params["train"], "model": "random_forest"}
    forest = params["random_forest"]
    params["random_forest"] = {**forest, "n_estimators": min(forest["n_estimators"], 50)}
    train_frame, test_frame = prepare.split(model_data, target, task, project_params["prepare"])
    model = train.fit(train_frame, target, task, params)
    features = test_frame.drop(columns=[target])
    return explain.explain(model, features, test_frame[target], project_params["evaluate"])


def test_a_group_of_features_matters(explanation):
    top = explanation["groups"][0]
    single = max(row["importance"] for row in explanation["features"])
    assert top["importance"] > MIN_GROUP_IMPORTANCE, (
        f"shuffling the top group {top['members']} costs only {top['importance']:.3f} of the "
        f"score (the top single feature: {single:.3f}); the forest ignores its inputs, or "
        "evaluate.importance.cluster_threshold groups too little (or lower "
        "MIN_GROUP_IMPORTANCE if your data is like that)"
    )


def test_every_feature_is_in_exactly_one_group(explanation):
    members = [name for group in explanation["groups"] for name in group["members"]]
    assert sorted(members) == sorted(row["feature"] for row in explanation["features"])


def test_partial_dependence_covers_the_top_numeric_group(explanation, project_params, model_data):
    """Curves are drawn for number columns only: a category has no axis to draw along."""
    wanted = project_params["evaluate"]["partial_dependence"]["features"]
    curves = {curve["feature"] for curve in explanation["partial_dependence"]}
    leaders = [group["members"][0] for group in explanation["groups"]]
    numeric = [name for name in leaders if profile.is_numeric(model_data[name])]
    assert not numeric or numeric[0] in curves or wanted == 0
    assert len(curves) <= wanted
