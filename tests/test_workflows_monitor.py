"""Slow tier: the generated Monitor workflow under act, against the fake GitHub.

An unhealthy batch opens one issue, a second unhealthy run updates that issue (and, with
monitor.retrain on, dispatches the Pipeline), a healthy run closes it with a comment. The
batch is a committed CSV made from the project's own test split; the model comes from the
DVC remote, as in CI.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_workflows import CiProject, report, succeeded

pytestmark = pytest.mark.slow

MARKER = "<!-- mlops-template:monitor model=model -->"
BATCH = "data/monitor/current.csv"


@pytest.fixture
def monitored(tmp_path):
    """A project with a reproduced, pushed baseline; retrain after 2 of the last 3 checks."""
    ci = CiProject(tmp_path)
    ci.use_folder_remote()
    ci.set_param("monitor.retrain", {"enabled": True, "k": 2, "n": 3})
    ci.commit_baseline()
    ci.dvc("push")
    yield ci
    ci.close()
    print(f"\nact timings (s): {json.dumps(ci.timings)}")


def commit_batch(ci: CiProject, shift: float, message: str) -> None:
    """The test split as the batch, its first feature moved by ``shift`` standard deviations."""
    batch = pd.read_parquet(ci.root / "data" / "prepared" / "test.parquet")
    first = batch.columns[0]
    batch[first] = batch[first] + shift * batch[first].std()
    path = ci.root / BATCH
    path.parent.mkdir(parents=True, exist_ok=True)
    batch.to_csv(path, index=False)
    ci.git("add", BATCH)
    ci.git("commit", "-qm", message)


def check(ci: CiProject, label: str):
    result = ci.act("workflow_dispatch", "-W", ".github/workflows/monitor.yml", label=label)
    assert result.returncode == 0, report(result)
    assert succeeded(result, "Monitor/Check the batch"), report(result)
    return result


def ours(ci: CiProject) -> list[dict]:
    return [i for i in ci.fake.issues.values() if i["user"]["login"] == ci.fake.bot_login]


def test_one_issue_opened_updated_then_closed(monitored):
    ci = monitored
    ci.fake.add_issue("Quoted", f"{MARKER}\nsomeone quoting the report", "someone")

    commit_batch(ci, 3.0, "Batch with a shifted feature")
    first = check(ci, "monitor, first unhealthy batch")
    assert succeeded(first, "Monitor/Keep the monitoring issue"), report(first)
    (issue,) = ours(ci)
    assert issue["state"] == "open"
    assert issue["body"].startswith(MARKER)
    assert "❌ unhealthy" in issue["body"]
    assert "```mermaid" in issue["body"]
    assert "Model monitoring: ❌ unhealthy" in first.stdout  # the job summary
    artifacts = ci.root / ".ci-local" / "artifacts" / "monitor-report"
    assert json.loads((artifacts / "monitor.json").read_text())["status"] == "unhealthy"
    assert ci.fake.dispatches == []

    commit_batch(ci, 4.0, "Another shifted batch")
    second = check(ci, "monitor, second unhealthy batch")
    assert [i["number"] for i in ours(ci)] == [issue["number"]]
    body = ci.fake.issues[issue["number"]]["body"]
    assert body.count(MARKER) == 1
    assert body.count("| unhealthy |") == 2  # the history of checks, newest first
    assert ci.fake.dispatches == [{"workflow": "pipeline.yml", "ref": "main"}]
    assert succeeded(second, "Monitor/Ask for a retrain"), report(second)

    commit_batch(ci, 0.0, "A batch like the reference")
    third = check(ci, "monitor, healthy batch")
    assert succeeded(third, "Monitor/Keep the monitoring issue"), report(third)
    (closed,) = ours(ci)
    assert closed["state"] == "closed"
    (comment,) = ci.fake.comments_on(issue["number"])
    assert "healthy again" in comment["body"]
    assert "| healthy |" in closed["body"]
    assert len(ci.fake.dispatches) == 1
    quoted = next(i for i in ci.fake.issues.values() if i["user"]["login"] == "someone")
    assert quoted["state"] == "open"
    assert quoted["body"].endswith("someone quoting the report")
    creates = [c for c in ci.fake.calls if c["method"] == "POST" and c["path"].endswith("/issues")]
    assert len(creates) == 1
