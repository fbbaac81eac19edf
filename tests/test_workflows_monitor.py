"""Slow tier: the generated Monitor workflow under act, against the fake GitHub.

An unhealthy batch opens one issue, a second unhealthy run updates that issue (and, with
monitor.retrain on, dispatches the Pipeline), a healthy run closes it with a comment. The
batch is a committed CSV made from the project's own test split. Before any release the
model comes from the DVC remote; once the project's publish code has released one, the
scheduled run checks the released model (then the version production holds), with no DVC
remote left to reach, and the issue names that version.
"""

from __future__ import annotations

import json
import shutil
import subprocess

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


@pytest.fixture
def released(tmp_path):
    """A reproduced baseline published as model@v0.1.0 by the project's own publish code
    (against the fake GitHub), then its DVC remote folder removed: CI cannot reach it."""
    ci = CiProject(tmp_path)
    ci.use_folder_remote()
    ci.commit_baseline()
    ci.push("main")
    env = {**ci.env, "GITHUB_TOKEN": "local-dummy-token", "GITHUB_API_URL": ci.fake.url}
    env.update(GITHUB_REPOSITORY=ci.repo, GITHUB_API_RETRY_DELAY="0")
    command = [ci.root / ".venv" / "bin" / "python", "-m", "mlops_kit.release.publish"]
    done = subprocess.run(command, cwd=ci.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "published model@v0.1.0" in done.stdout
    ci.git("fetch", "-q", "--tags", "origin")  # the tag the release made, in this clone
    shutil.rmtree(ci.storage)
    yield ci
    ci.close()
    print(f"\nact timings (s): {json.dumps(ci.timings)}")


def scheduled(ci: CiProject, label: str):
    result = ci.act("schedule", "-W", ".github/workflows/monitor.yml", label=label)
    assert result.returncode == 0, report(result)
    assert succeeded(result, "Monitor/Check the batch"), report(result)
    assert succeeded(result, "Monitor/Keep the monitoring issue"), report(result)
    artifacts = ci.root / ".ci-local" / "artifacts" / "monitor-report"
    return result, json.loads((artifacts / "monitor.json").read_text())


def test_the_schedule_checks_the_released_model_without_the_dvc_remote(released):
    ci = released
    (release,) = ci.fake.releases
    assert "profile.json" in {asset["name"] for asset in release["assets"]}
    assert not ci.storage.exists()

    commit_batch(ci, 3.0, "Batch with a shifted feature")
    first, checked = scheduled(ci, "monitor a release, first unhealthy batch")
    assert "monitor: checking the newest release" in first.stdout, report(first)
    assert "monitor: unhealthy (model@v0.1.0): " in first.stdout
    assert checked["status"] == "unhealthy"
    assert checked["inputs"]["release"] == "model@v0.1.0"
    assert checked["inputs"]["commit"] == release["target_commitish"]
    (issue,) = ours(ci)
    assert issue["state"] == "open"
    assert "Model: release `model@v0.1.0`" in issue["body"]
    assert "| unhealthy | `model@v0.1.0` |" in issue["body"]
    downloads = [c["path"] for c in ci.fake.calls if "/releases/download/" in c["path"]]
    assert {path.rsplit("/", 1)[1] for path in downloads} >= {"model.joblib", "profile.json"}

    ci.git("tag", "-a", "model#production#1", "-m", "Promote", "model@v0.1.0^{commit}")
    commit_batch(ci, 4.0, "Another shifted batch")
    second, checked = scheduled(ci, "monitor production, second unhealthy batch")
    assert "monitor: checking model@v0.1.0, which production holds" in second.stdout
    assert checked["inputs"]["stage"] == "production"
    assert [i["number"] for i in ours(ci)] == [issue["number"]]
    body = ci.fake.issues[issue["number"]]["body"]
    assert body.count("| unhealthy | `model@v0.1.0` |") == 2
    assert "which `production` holds" in body

    commit_batch(ci, 0.0, "A batch like the reference")
    third, checked = scheduled(ci, "monitor production, healthy batch")
    assert checked["status"] == "healthy"
    (closed,) = ours(ci)
    assert closed["state"] == "closed"
    (comment,) = ci.fake.comments_on(issue["number"])
    assert comment["body"].startswith("The latest check of `model@v0.1.0` is healthy again")
    assert "models/model.joblib not found" not in first.stdout + second.stdout + third.stdout
