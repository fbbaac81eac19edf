"""lineage.json: what the service answers at /metadata and publish attaches to a release."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

from mlops_kit import common
from mlops_kit.serving import lineage


def test_the_lineage_names_commit_data_params_and_suite(small_project, tmp_path, monkeypatch):
    monkeypatch.chdir(small_project)
    assert lineage.main(["--out", str(tmp_path / "lineage.json"), "--release", "model@v1.0.0"]) == 0
    record = common.read_json(tmp_path / "lineage.json")
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    assert (record["release"], record["commit"]) == ("model@v1.0.0", head.stdout.strip())
    data = (small_project / "data" / "prepared" / "train.parquet").read_bytes()
    assert record["training_data"][0]["md5"] == hashlib.md5(data).hexdigest()
    assert record["params"]["train"]["model"] == "random_forest"
    assert record["model"]["matches_dvc_lock"] is True
    assert record["suite"] == common.read_json(small_project / "expectations" / "suite.json")
    assert set(record["libraries"]) >= {"Python", "scikit-learn", "pandas"}


def test_a_model_that_is_not_dvc_lock_s_is_flagged(small_project, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(small_project, copy)
    (copy / "models" / "model.joblib").write_bytes(b"another model")
    record = lineage.collect("models/model.joblib", root=copy, commit="c" * 40)
    assert record["model"]["matches_dvc_lock"] is False
    assert record["model"]["sha256"] == hashlib.sha256(b"another model").hexdigest()


def test_a_missing_model_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert lineage.main(["--out", "lineage.json"]) == 2
    assert capsys.readouterr().err == (
        "error: models/model.joblib not found; run `dvc repro` (or `dvc pull`) first\n"
    )
    assert not (tmp_path / "lineage.json").exists()
