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


# Names as data gives them: any text, a few of them hard to put in a path.
ODD_NAMES = ["a/b", "x/invocations", "with space", "Ünïcode ✓", "..", "%41", "q?x#y", "12"]
MANY = 30


def folder_of(name: str) -> str:
    """The contract's folder of a model (the name, or a slug and a hash of it)."""
    plain = name[:1].isalnum() and all(c in "abcdefghijklmnopqrstuvwxyz0123456789._-" for c in name)
    if plain and len(name) <= 64:
        return name
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())[:40]
    return f"{slug.strip('-') or 'model'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@pytest.fixture(scope="session")
def many_project(tmp_path_factory) -> Path:
    """A many-models project of MANY real models in the contract's layout: models/shard-<k>/
    <folder>/model.joblib and metrics.json, reports/models.json (with one skipped model) and
    the expectation suite of all the rows (the segment column among them)."""
    root = tmp_path_factory.mktemp("many")
    names = [f"store-{number:04d}" for number in range(MANY - len(ODD_NAMES))] + ODD_NAMES
    frames, entries = [], {}
    for number, name in enumerate(names):
        frame = tiny_frame(80, seed=number + 1)
        frames.append(frame.assign(store=name))
        model = train.fit(frame, TARGET, "classification", TRAIN)
        path = f"models/shard-{number % 4}/{folder_of(name)}"
        joblib.dump(model, common.ensure_parent(root / path / "model.joblib"))
        metrics = {"balanced_accuracy": round(0.8 + number / 1000, 4)}
        common.write_json(root / path / "metrics.json", metrics)
        entries[name] = {
            "path": path,
            "shard": number % 4,
            "rows": {"train": 64, "test": 16},
            "metrics": metrics,
            "overrides": {"random_forest": {"n_estimators": 20}} if number == 3 else {},
            "fingerprint": hashlib.sha256(name.encode()).hexdigest(),
            "md5": md5(root / path / "model.joblib"),
        }
    whole = pd.concat(frames, ignore_index=True)
    common.write_json(root / "expectations" / "suite.json", suite.build_suite(whole, "raw_data"))
    skipped = {"store-tiny": {"rows": {"train": 31, "test": 8}, "reason": "31 training rows"}}
    report = {"segment_by": "store", "task": "classification", "aggregate": {}, "skipped": skipped}
    common.write_json(root / "reports" / "models.json", {**report, "models": entries})
    return root


@pytest.fixture(scope="module")
def many_service(many_project, tmp_path_factory):
    """The service of every model of ``many_project`` (--models), on a free port, logging to
    ``many_service.log``."""
    log = tmp_path_factory.mktemp("log") / "predictions.jsonl"
    args = ("--models", "reports/models.json", "--port", "0", "--log", str(log))
    running = Service(many_project, *args)
    running.log = log
    yield running
    running.stop()
