"""Slow tier: a project with many models (segment_by), generated from synthetic per-segment
data (bench/many_models.py), reproduced and tested as its owners would, then changed one
model at a time: the logs name exactly the models each change retrained."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bake, isolated_env
from test_pipeline import Project

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# A model name from the data that cannot be a folder as it is.
AWKWARD = "Store #7 / Lisbon"
RAN = re.compile(r"Running stage '([\w@-]+)'")  # a foreach stage's names: train@0, ...
TRAINED = re.compile(r"train shard (\d+): (\d+) models, (\d+) trained")


def segments_file(folder: Path, segments: int = 30) -> Path:
    """The bench's synthetic data: ``segments`` stores (one with too few rows for a model),
    one of them renamed AWKWARD."""
    import pandas as pd

    path = folder / "stores.parquet"
    folder.mkdir(parents=True)
    made = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "many_models.py"), "data", str(path)]
        + ["--segments", str(segments)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    frame = pd.read_parquet(path)
    frame.loc[frame["segment"] == sorted(frame["segment"].unique())[6], "segment"] = AWKWARD
    frame.to_parquet(path, index=False)
    return path


def trained(output: str) -> tuple[int, list[str]]:
    """(models trained, their names as the shards' last lines give them)."""
    count, named = 0, []
    for line in output.splitlines():
        found = TRAINED.search(line)
        if found:
            count += int(found.group(3))
            if "; trained: " in line:
                named += line.split("; trained: ")[1].split(", ")
    return count, sorted(named)


def listing(project: Project) -> dict:
    return json.loads((project.root / "reports" / "models.json").read_text(encoding="utf-8"))


def test_many_models_train_once_and_retrain_only_what_changed(tmp_path):
    answers = {"dataset": "custom", "custom_target": "target", "segment_by": "segment"}
    answers["custom_data_path"] = str(segments_file(tmp_path / "incoming"))
    env = isolated_env(tmp_path / "home")
    baked = bake(tmp_path / "out", answers, env=env)
    assert baked.returncode == 0, baked.stderr
    project = Project(baked.project, env)
    # Twenty trees a model, not a hundred: what is checked is which models are fitted.
    params = project.root / "params.yaml"
    text = params.read_text(encoding="utf-8")
    assert text.count("    n_estimators: 100\n") == 1, text
    params.write_text(text.replace("    n_estimators: 100\n", "    n_estimators: 20\n"), "utf-8")

    first = project.run(sys.executable, "tasks.py", "repro", label="setup + first repro")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    shards = ["train@0", "train@1", "train@2", "train@3"]
    assert RAN.findall(first.stdout) == [
        "ingest",
        "validate",
        "prepare",
        "plan",
        *shards,
        "evaluate",
    ]
    models = listing(project)
    assert len(models["models"]) == 29
    assert len(models["skipped"]) == 1
    [why] = [entry["reason"] for entry in models["skipped"].values()]
    assert "fewer than train.min_rows (50)" in why
    assert trained(first.stdout)[0] == 29
    assert AWKWARD in models["models"]
    folder = models["models"][AWKWARD]["path"]
    assert re.fullmatch(r"models/shard-\d/store-7-lisbon-[0-9a-f]{8}", folder), folder
    assert (project.root / folder / "model.joblib").is_file()
    assert models["aggregate"]["balanced_accuracy"] > 0.65

    tests = project.run(sys.executable, "tasks.py", "test", "-q", label="project tests")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "skipped" not in tests.stdout.splitlines()[-1], tests.stdout[-2000:]

    status = project.dvc("status", label="dvc status")
    assert "up to date" in status.stdout, status.stdout
    noop = project.dvc("repro", label="no-op repro")
    ran = RAN.findall(noop.stdout)
    assert (noop.returncode, ran) == (0, [])

    # One model's override: the plan, that model's shard (fitting it alone) and evaluate.
    name = sorted(models["models"])[3]
    text = (project.root / "params.yaml").read_text(encoding="utf-8")
    override = f"  overrides: {{{name}: {{random_forest: {{n_estimators: 7}}}}}}"
    (project.root / "params.yaml").write_text(
        text.replace("  overrides: {}", override), encoding="utf-8"
    )
    changed = project.dvc("repro", label="repro after one override")
    ran = RAN.findall(changed.stdout)
    assert changed.returncode == 0, changed.stdout[-3000:] + changed.stderr
    shard = models["models"][name]["shard"]
    assert ran == ["plan", f"train@{shard}", "evaluate"]
    assert trained(changed.stdout) == (1, [name])
    after = listing(project)
    assert after["models"][name]["overrides"] == {"random_forest": {"n_estimators": 7}}
    assert after["models"][name]["md5"] != models["models"][name]["md5"]
    same = [n for n in models["models"] if n != name]
    assert all(after["models"][n]["md5"] == models["models"][n]["md5"] for n in same)

    # One row of one segment: every shard reads the data again, one model is fitted.
    import pandas as pd

    data = project.root / "data" / "external" / "dataset.parquet"
    frame = pd.read_parquet(data)
    other = sorted(models["models"])[10]
    frame.loc[frame.index[frame["segment"] == other][0], "x00"] += 0.5
    frame.to_parquet(data, index=False)
    assert project.dvc("add", "data/external/dataset.parquet").returncode == 0
    moved = project.dvc("repro", label="repro after one segment's row")
    ran = RAN.findall(moved.stdout)
    assert moved.returncode == 0, moved.stdout[-3000:] + moved.stderr
    assert ran == ["ingest", "validate", "prepare", *shards, "evaluate"]
    assert trained(moved.stdout) == (1, [other])

    # The models travel through the DVC remote like any output.
    pushed = project.dvc("push")
    assert pushed.returncode == 0, pushed.stderr
    kept = listing(project)["models"][name]
    import shutil

    for folder in (project.root / "models").glob("shard-*"):
        shutil.rmtree(folder)
    shutil.rmtree(project.root / ".dvc" / "cache")
    pulled = project.dvc("pull")
    assert pulled.returncode == 0, pulled.stderr
    model = project.root / kept["path"] / "model.joblib"
    import hashlib

    assert hashlib.md5(model.read_bytes()).hexdigest() == kept["md5"]
    again = project.dvc("repro", label="repro after pull")
    ran = RAN.findall(again.stdout)
    assert (again.returncode, ran) == (0, [])
