"""Shared fixtures: tiny frames and parameters of the tests' own for the unit tests, and the
project's own files for the tests about them. (The template's kit is tested where it is made,
with these same frames and parameters.)

The unit tests (tests/code) never read the project's params.yaml, dvc.yaml or data:
those belong to the project's owners, who change them. Only the tests about those files ask
for ``root``, ``project_params`` or ``raw_data``: tests/code/test_dvc_yaml.py, the suite on
the real data (tests/data) and the model tests (tests/model)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "artifact: tests of the model the pipeline trained (models/model.joblib); skipped "
        "until `dvc repro` has run, failing instead when REQUIRE_MODEL=1",
    )


def tiny_frame(task: str, rows: int = 80, seed: int = 0) -> pd.DataFrame:
    """Numeric, integer, text and boolean features with gaps; the target depends on them."""
    rng = np.random.default_rng(seed)
    size = rng.normal(10.0, 3.0, rows)
    colour = rng.choice(["red", "green", "blue"], rows)
    visits = rng.integers(0, 5, rows)
    signal = size + 4.0 * (colour == "red") + visits
    frame = pd.DataFrame(
        {
            "size": size.round(3),
            "visits": visits,
            "colour": colour,
            "member": rng.random(rows) > 0.5,
            "code": [f"id{i:03d}" for i in range(rows)],
        }
    )
    frame.loc[::9, "size"] = np.nan
    frame.loc[3::11, "colour"] = np.nan
    if task == "classification":
        frame["label"] = np.where(signal > np.median(signal), "high", "low")
    else:
        frame["label"] = (3.0 * signal + rng.normal(0.0, 1.0, rows)).round(3)
    return frame


@pytest.fixture
def classification_frame() -> pd.DataFrame:
    return tiny_frame("classification")


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    return tiny_frame("regression")


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder."""
    return ROOT


@pytest.fixture(scope="session")
def project_params() -> dict:
    """The project's params.yaml, for the tests about it (do not modify). Read only when a
    test asks for it: the unit tests run without the project's files."""
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


# The unit tests' own parameters, for the tiny frames: every section a stage reads, small
# forests and few boosting rounds. ``linear`` holds the arguments for the task's estimator.
LINEAR = {"classification": {"C": 1.0, "max_iter": 1000}, "regression": {"alpha": 1.0}}
UNIT_PARAMS = {
    "ingest": {"source": "data/external/tiny.csv", "target": "label", "task": "classification"},
    "validate": {"examples": 5, "chunk_rows": None},
    "prepare": {"test_size": 0.2, "seed": 42, "stratify": True},
    "train": {
        "model": "random_forest",
        "seed": 42,
        "n_jobs": 1,
        "random_forest": {"n_estimators": 10, "min_samples_leaf": 1},
        "gradient_boosting": {"learning_rate": 0.1, "max_iter": 20},
        "linear": LINEAR["classification"],
    },
    "evaluate": {
        "importance_repeats": 2,
        "seed": 42,
        "importance": {"cluster_threshold": 0.3, "linkage": "average"},
        "partial_dependence": {"features": 2, "grid": 5},
    },
}


@pytest.fixture
def params() -> dict:
    """A fresh copy of the unit tests' own parameters (not the project's params.yaml)."""
    return copy.deepcopy(UNIT_PARAMS)


@pytest.fixture
def workdir(tmp_path, monkeypatch, params) -> Path:
    """An empty current folder holding the unit tests' own params.yaml."""
    monkeypatch.chdir(tmp_path)
    write_params(params)
    return tmp_path


@pytest.fixture
def quick_train(params):
    """A ``train:`` section of the unit tests' own for ``model`` on ``task``."""

    def make(task: str, model: str) -> dict:
        return {**copy.deepcopy(params["train"]), "model": model, "linear": dict(LINEAR[task])}

    return make


def write_params(values: dict) -> None:
    Path("params.yaml").write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")


@pytest.fixture
def set_params():
    """Write the given params to params.yaml in the current folder."""
    return write_params


def skip_without_data(source: str) -> None:
    """Skip the tests of the project's data when DVC tracks it and it is not in this checkout:
    data added with `dvc add` comes only from a DVC remote (the Test workflow pulls none).
    A missing file that DVC does not track is left to fail."""
    from mlops_kit.remote import sync

    if source not in sync.added_data(ROOT):
        return
    reason = sync.unreachable_data(ROOT) or (
        f"{source} is tracked by DVC and not in this checkout: `dvc pull` it (the Test "
        "workflow pulls no data; the Pipeline workflow validates it)"
    )
    pytest.skip(reason)


@pytest.fixture(scope="session")
def raw_data(project_params) -> pd.DataFrame:
    """The project's raw data as the validate stage sees it, loaded through ingest."""
    from mlops_kit.pipeline import ingest
    from mlops_kit.validation import suite

    section = project_params["ingest"]
    source = str(section["source"])
    if not source.startswith("sklearn:"):
        if not (ROOT / source).exists():
            skip_without_data(source)  # returns only when DVC does not track it
        source = str(ROOT / source)
    return suite.as_read_back(ingest.load_source(source, str(section["target"])))


@pytest.fixture(scope="session")
def model_data(project_params, raw_data) -> pd.DataFrame:
    """The rows one model trains on: the project's data, or with train.segment_by (many
    models) those of its largest segment, without that column."""
    column = (project_params.get("train") or {}).get("segment_by")
    if column is None:
        return raw_data
    largest = raw_data[column].value_counts().idxmax()
    rows = raw_data[raw_data[column] == largest]
    return rows.drop(columns=[column]).reset_index(drop=True)
