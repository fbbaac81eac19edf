"""A small project of the tests' own for batch prediction and the service: a model trained on
the tiny frame, its expectation suite, a dvc.lock naming their hashes, in a git repository;
and the real service, started with uvicorn on a free loopback port."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from mlops_kit import common
from mlops_kit.validation import suite

from kit.project import environment, train

TARGET = "label"
TRAIN = {"model": "random_forest", "seed": 42, "n_jobs": 1, "random_forest": {"n_estimators": 20}}


def tiny_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """Number (with gaps), whole-number, text (with gaps) and true/false features; a label."""
    rng = np.random.default_rng(seed)
    size = rng.normal(10.0, 3.0, rows).round(3)
    colour = rng.choice(["red", "green", "blue"], rows).astype(object)
    visits = rng.integers(0, 5, rows)
    signal = size + 4.0 * (colour == "red") + visits
    frame = pd.DataFrame({"size": size, "visits": visits, "colour": colour})
    frame["member"] = rng.random(rows) > 0.5
    frame.loc[::9, "size"] = np.nan
    frame.loc[3::11, "colour"] = np.nan
    frame[TARGET] = np.where(signal > np.median(signal), "high", "low")
    return frame


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Tests", "GIT_AUTHOR_EMAIL": "tests@example.com"}
    env.update(GIT_COMMITTER_NAME="Tests", GIT_COMMITTER_EMAIL="tests@example.com")
    result = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip()


@pytest.fixture(scope="session")
def small_project(tmp_path_factory) -> Path:
    """models/model.joblib, expectations/suite.json, data/prepared/train.parquet, reports/
    and dvc.lock, committed."""
    root = tmp_path_factory.mktemp("project")
    frame = tiny_frame(120)
    data = root / "data" / "prepared" / "train.parquet"
    data.parent.mkdir(parents=True)
    frame.to_parquet(data, index=False)
    common.write_json(root / "expectations" / "suite.json", suite.build_suite(frame, "raw_data"))
    model = train.fit(frame, TARGET, "classification", TRAIN)
    joblib.dump(model, common.ensure_parent(root / "models" / "model.joblib"))
    common.write_json(root / "reports" / "metrics.json", {"balanced_accuracy": 0.9})
    common.write_json(root / "reports" / "validation.json", {"success": True, "rows": 120})
    lock = {
        "schema": "2.0",
        "stages": {
            "train": {
                "deps": [{"path": "data/prepared/train.parquet", "hash": "md5", "md5": md5(data)}],
                "params": {"params.yaml": {"train": TRAIN}},
                "outs": [{"path": "models/model.joblib", "md5": md5(root / "models/model.joblib")}],
            }
        },
    }
    (root / "dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
    git(root, "init", "--quiet")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "a model")
    return root


@pytest.fixture(scope="session")
def model(small_project):
    return joblib.load(small_project / "models" / "model.joblib")


@pytest.fixture(scope="session")
def rows():
    """Rows that meet the suite (those it was built from), without the target."""
    return tiny_frame(120).drop(columns=[TARGET]).iloc[::3].reset_index(drop=True)


class Service:
    """The service, started as `python -m mlops_kit.serving.serve` in the small project."""

    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None):
        command = [sys.executable, "-m", "mlops_kit.serving.serve", *args]
        self.process = subprocess.Popen(
            command,
            cwd=root,
            env={**os.environ, **environment(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self.process.stdout.readline()  # "serve: <version> on http://...:PORT ..."
        if " on http://" not in first:
            raise AssertionError(f"the service did not start: {first}{self.stop()}")
        self.url = first.split(" on ", 1)[1].split()[0]

    def stop(self) -> str:
        """Stop it (if still running); what it wrote to stderr."""
        if self.process.stderr.closed:
            return self.said
        self.process.terminate()
        self.process.wait(timeout=30)
        self.said = self.process.stderr.read()
        self.process.stdout.close()
        self.process.stderr.close()
        return self.said


@pytest.fixture(scope="module")
def service(small_project, tmp_path_factory):
    """The service on a port the system picks (--port 0), logging to ``service.log``; it
    stops when the module's tests are done."""
    log = tmp_path_factory.mktemp("log") / "predictions.jsonl"
    running = Service(
        small_project, "--model", "models/model.joblib", "--port", "0", "--log", str(log)
    )
    running.log = log
    yield running
    running.stop()


@pytest.fixture
def start_service(small_project):
    """Start a service of the test's own with the given arguments; it stops after the test."""
    started: list[Service] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Service:
        started.append(Service(small_project, *args, env=env))
        return started[-1]

    yield start
    for running in started:
        running.stop()
