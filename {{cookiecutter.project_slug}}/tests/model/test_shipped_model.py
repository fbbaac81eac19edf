"""The model the pipeline trained, models/model.joblib (what CI publishes), on the test split.

Skipped until `dvc repro` (or `dvc pull`) has written them; with REQUIRE_MODEL=1, as in CI,
a missing file fails instead. Run only these with `pytest -m artifact`."""

import os
import shlex

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.base import clone

from {{ cookiecutter.package_name }}.model import build as build_model

pytestmark = pytest.mark.artifact
REQUIRED = os.environ.get("REQUIRE_MODEL", "") not in ("", "0")


def stage_paths(root, stage: str) -> dict[str, str]:
    """A stage's path arguments in dvc.yaml, by option name: {"model": "models/...", ...}."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    words = shlex.split(stages[stage]["cmd"])[3:]
    pairs = zip(words[::2], words[1::2], strict=True)
    return {flag.removeprefix("--"): path for flag, path in pairs}


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
    """The trained model, the train and test splits it was made from, target and task."""
    paths = {**stage_paths(root, "train"), **stage_paths(root, "evaluate")}
    model, train_file, test_file = (built(root, paths[k]) for k in ("model", "train", "test"))
    target = str(project_params["ingest"]["target"])
    test = pd.read_parquet(test_file)
    return {
        "model": joblib.load(model),
        "train": pd.read_parquet(train_file),
        "test": test,
        "features": test.drop(columns=[target]),
        "target": target,
        "task": project_params["ingest"]["task"],
    }


def test_beats_a_dummy_baseline(shipped, check_quality):
    model, target, task = shipped["model"], shipped["target"], shipped["task"]
    check_quality(model, shipped["train"], shipped["test"], target, task)


def test_predictions_do_not_depend_on_row_order(shipped, same_answers):
    order = np.random.default_rng(0).permutation(len(shipped["features"]))
    same_answers(shipped["model"], shipped["model"], shipped["features"], order)


def test_predicting_twice_gives_the_same_answers(shipped, same_answers):
    same_answers(shipped["model"], shipped["model"], shipped["features"])


def test_refitting_with_its_params_and_seed_gives_the_same_model(shipped, same_answers):
    model, target = shipped["model"], shipped["target"]
    train_frame = shipped["train"]
    again = clone(model).fit(train_frame.drop(columns=[target]), train_frame[target])
    same_answers(model, again, shipped["features"])


def test_it_is_the_model_params_yaml_describes(shipped, project_params):
    trained = shipped["model"].named_steps["model"]
    expected = build_model(shipped["task"], project_params["train"])
    stale = "the trained model is out of date with params.yaml; run `dvc repro`"
    assert type(trained) is type(expected), f"{stale} ({type(trained).__name__})"
    wanted = expected.get_params()
    differ = {k: v for k, v in trained.get_params().items() if v != wanted[k]}
    assert not differ, f"{stale} (trained with {differ})"
