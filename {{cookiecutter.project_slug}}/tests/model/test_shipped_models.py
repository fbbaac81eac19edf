"""The models the pipeline trained, one per segment of train.segment_by, as reports/models.json
lists them (what CI compares and publishes), each on its own rows of the test split.

Skipped until `dvc repro` (or `dvc pull`) has written them; with REQUIRE_MODEL=1, as in CI,
a missing file fails instead. Run only these with `pytest -m artifact`. Every model's file
is checked; SAMPLE of them (those with overrides first, then an even spread) are also
refitted and questioned one by one, which at thousands of models keeps this quick."""

import hashlib
import json
import os
import shlex

import joblib
import pandas as pd
import pytest
import yaml
from sklearn.base import clone

from mlops_kit.segments import names

from {{ cookiecutter.package_name }}.model import build as build_model

pytestmark = pytest.mark.artifact
REQUIRED = os.environ.get("REQUIRE_MODEL", "") not in ("", "0")
SAMPLE = 5


def built(root, path: str):
    """``path`` under the project root, once the pipeline has written it."""
    if (root / path).is_file():
        return root / path
    problem = f"{path} not found; run `dvc repro` (or `dvc pull`) first"
    if REQUIRED:
        pytest.fail(f"REQUIRE_MODEL is set and {problem}", pytrace=False)
    pytest.skip(f"no trained model yet: {problem}")


@pytest.fixture(scope="module")
def shipped(root, project_params) -> dict:
    """models.json, the train and test splits, target, task and segment column."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    words = shlex.split(stages["train"]["do"]["cmd"])[3:]
    pairs = zip(words[::2], words[1::2], strict=True)
    paths = {flag.removeprefix("--"): path for flag, path in pairs}
    listing = json.loads(built(root, "reports/models.json").read_text(encoding="utf-8"))
    return {
        "listing": listing,
        "train": pd.read_parquet(built(root, paths["train"])),
        "test": pd.read_parquet(built(root, paths["test"])),
        "target": str(project_params["ingest"]["target"]),
        "task": project_params["ingest"]["task"],
        "column": listing["segment_by"],
    }


def rows_of(shipped, split: str, name: str):
    frame = shipped[split]
    mine = frame[shipped["column"]].map(names.name_of) == name
    return frame[mine].drop(columns=[shipped["column"]])


def sample(listing: dict) -> list[str]:
    every = list(listing["models"])
    first = [n for n in every if listing["models"][n]["overrides"]][:SAMPLE]
    step = max(1, len(every) // SAMPLE)
    return list(dict.fromkeys(first + every[::step]))[:SAMPLE]


def test_every_model_file_is_the_one_models_json_lists(root, shipped):
    for name, entry in shipped["listing"]["models"].items():
        path = built(root, f"{entry['path']}/model.joblib")
        assert hashlib.md5(path.read_bytes()).hexdigest() == entry["md5"], name
        metrics = json.loads((path.parent / "metrics.json").read_text(encoding="utf-8"))
        assert metrics == entry["metrics"], name


def test_every_segment_has_a_model_or_a_reason(shipped):
    listing = shipped["listing"]
    segments = set(shipped["train"][shipped["column"]].dropna().map(names.name_of))
    assert segments == set(listing["models"]) | set(listing["skipped"])


def test_the_models_beat_a_dummy_of_each_segment(shipped, min_lift):
    """Weighted by test rows as reports/metrics.json is: the models' metric against that of
    a dummy fitted on each segment (balanced accuracy, or R²), by quality.min_lift."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.metrics import balanced_accuracy_score, r2_score

    task, target = shipped["task"], shipped["target"]
    metric, score = ("balanced_accuracy", balanced_accuracy_score)
    if task != "classification":
        metric, score = ("r2", r2_score)
    total = dummies = weight = 0.0
    for name, entry in shipped["listing"]["models"].items():
        train, test = rows_of(shipped, "train", name), rows_of(shipped, "test", name)
        dummy = (DummyClassifier() if task == "classification" else DummyRegressor()).fit(
            train.drop(columns=[target]), train[target]
        )
        if entry["metrics"][metric] is None:
            continue
        total += len(test) * entry["metrics"][metric]
        dummies += len(test) * score(test[target], dummy.predict(test.drop(columns=[target])))
        weight += len(test)
    assert total / weight >= dummies / weight + min_lift, (
        f"{metric} {total / weight:.3f} of the models is below their dummies' "
        f"{dummies / weight:.3f} plus quality.min_lift ({min_lift:g}, params.yaml)"
    )


def test_sampled_models_answer_alike_in_any_order_and_when_refitted(root, shipped, same_answers):
    import numpy as np

    target = shipped["target"]
    for name in sample(shipped["listing"]):
        model = joblib.load(root / shipped["listing"]["models"][name]["path"] / "model.joblib")
        train, test = rows_of(shipped, "train", name), rows_of(shipped, "test", name)
        features = test.drop(columns=[target])
        order = np.random.default_rng(0).permutation(len(features))
        same_answers(model, model, features, order)
        again = clone(model).fit(train.drop(columns=[target]), train[target])
        same_answers(model, again, features)


def test_sampled_models_are_the_ones_params_yaml_describes(root, shipped, project_params):
    train = project_params["train"]
    overrides = names.layout(train)["overrides"]
    stale = "out of date with params.yaml; run `dvc repro`"
    for name in sample(shipped["listing"]):
        path = root / shipped["listing"]["models"][name]["path"] / "model.joblib"
        trained = joblib.load(path).named_steps["model"]
        settings = names.merge(names.shared(train), overrides.get(name, {}))
        expected = build_model(shipped["task"], {**settings, "n_jobs": 1})
        assert type(trained) is type(expected), f"model {name!r} is {stale}"
        wanted = expected.get_params()
        differ = {k: v for k, v in trained.get_params().items() if v != wanted[k] and k != "n_jobs"}
        assert not differ, f"model {name!r} is {stale} (trained with {differ})"
