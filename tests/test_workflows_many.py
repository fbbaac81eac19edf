"""Slow tier: the generated workflows of a project with many models (segment_by, 30
segments of the bench's synthetic data) under act, against the fake GitHub."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_workflows import CiProject, report, succeeded

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BATCH = "data/monitor/current.csv"


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """A many-models project, reproduced, committed and pushed to its DVC folder remote."""
    tmp = tmp_path_factory.mktemp("many")
    data = tmp / "incoming" / "stores.parquet"
    data.parent.mkdir(parents=True)
    made = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "many_models.py"), "data", str(data)]
        + ["--segments", "30"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    answers = {"dataset": "custom", "custom_data_path": str(data), "custom_target": "target"}
    ci = CiProject(tmp, {**answers, "segment_by": "segment"})
    ci.use_folder_remote()
    ci.commit_baseline()
    ci.dvc("push")
    yield ci
    ci.close()
    print(f"\nact timings (s): {json.dumps(ci.timings)}")
    shutil.rmtree(tmp, ignore_errors=True)  # its .venv: the disk is shared by the whole run


def ours(ci: CiProject) -> list[dict]:
    return [i for i in ci.fake.issues.values() if i["user"]["login"] == ci.fake.bot_login]


def test_two_drifted_models_of_thirty_make_one_issue_naming_those_two(many):
    ci = many
    listing = json.loads((ci.root / "reports" / "models.json").read_text(encoding="utf-8"))
    names = sorted(listing["models"])
    drifted = [names[4], names[17]]
    batch = pd.read_parquet(ci.root / "data" / "prepared" / "test.parquet")
    for name in drifted:
        rows = batch["segment"] == name
        batch.loc[rows, "x00"] += 3 * batch["x00"].std()
    path = ci.root / BATCH
    path.parent.mkdir(parents=True, exist_ok=True)
    batch.to_csv(path, index=False)
    ci.git("add", BATCH)
    ci.git("commit", "-qm", "A batch of every store, two of them shifted")
    result = ci.act("schedule", "-W", ".github/workflows/monitor.yml", label="monitor, 2 of 30")
    assert result.returncode == 0, report(result)
    assert succeeded(result, "Monitor/Check the batch"), report(result)
    assert succeeded(result, "Monitor/Keep the monitoring issue"), report(result)
    artifacts = ci.root / ".ci-local" / "artifacts" / "monitor-report"
    found = json.loads((artifacts / "monitor.json").read_text(encoding="utf-8"))
    assert sorted(found["summary"]["unhealthy_models"]) == drifted
    (issue,) = ours(ci)
    assert issue["state"] == "open"
    named = [name for name in names if f"`{name}`" in issue["body"]]
    assert named == drifted, issue["body"][:3000]


def bot_comments(ci: CiProject, number: int) -> list[dict]:
    return [c for c in ci.fake.comments_on(number) if c["user"]["login"] == "github-actions[bot]"]


def test_pull_requests_judge_each_model_one_changed_passes_two_worse_fail(many):
    ci = many
    ci.start_over()
    listing = json.loads((ci.root / "reports" / "models.json").read_text(encoding="utf-8"))
    names = sorted(listing["models"])
    ci.push("main")

    one = names[2]
    # A setting that changes the model's fingerprint, not its trees (no tree is that deep).
    ci.branch_with_params(
        "one-store",
        "A depth limit for one store",
        train__overrides={one: {"random_forest": {"max_depth": 1000}}},
    )
    result = ci.pull_request(
        1, "one-store", "-W", ".github/workflows/pipeline.yml", label="PR, one model changed"
    )
    assert result.returncode == 0, report(result)
    assert succeeded(result, "Pipeline/Reproduce, compare, report"), report(result)
    (comment,) = bot_comments(ci, 1)
    body = comment["body"]
    assert "models against the baseline's" in body, body[:4000]
    assert ": 1 changed," in body, body[:4000]
    assert f"`{one}`" in body
    assert "## Pipeline report: ✅" in body, body[:2000]
    assert len(body) < 65536

    worse = [names[5], names[11]]
    crude = {"model": "linear", "linear": {"C": 1.0e-6, "max_iter": 1000}}
    ci.branch_with_params(
        "two-stores",
        "Much simpler models for two stores",
        train__overrides=dict.fromkeys(worse, crude),
    )
    result = ci.pull_request(
        2, "two-stores", "-W", ".github/workflows/pipeline.yml", label="PR, two models worse"
    )
    assert result.returncode != 0, report(result)
    (comment,) = bot_comments(ci, 2)
    body = comment["body"]
    verdict = next(line for line in body.splitlines() if "worse beyond tolerance" in line)
    assert all(f"`{name}`" in verdict for name in worse), verdict
    assert not any(f"`{name}`" in verdict for name in names if name not in worse), verdict
