"""Slow tier: the generated workflows of a project with many models (segment_by, 30
segments of the bench's synthetic data) under act, against the fake GitHub."""

from __future__ import annotations

import json
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
