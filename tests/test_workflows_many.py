"""Slow tier: the generated workflows of a project with many models (segment_by, 30
segments of the bench's synthetic data) under act, against the fake GitHub."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_workflows import CiProject, released_assets, report, succeeded

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BATCH = "data/monitor/current.csv"
PUBLISH = ".github/workflows/publish.yml"


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


def test_publish_releases_every_model_then_only_the_one_that_changed(many):
    """The Publish workflow of a many-models project against the fake GitHub: the first run
    releases every model (models-release-1: three assets a model, the manifest, a version tag
    each); after one model's setting is merged, the next run releases that model alone; then
    the Monitor workflow checks a batch of two stores against the released models."""
    ci = many
    ci.start_over()
    listing = json.loads((ci.root / "reports" / "models.json").read_text(encoding="utf-8"))
    names = sorted(listing["models"])
    ci.push("main")
    first = ci.act("workflow_dispatch", "-W", PUBLISH, label="publish, every model")
    assert first.returncode == 0, report(first)
    assets = released_assets(ci, "models-release-1")
    assert len(assets) == 3 * len(names) + 1
    manifest = json.loads(assets["manifest.json"])
    assert sorted(manifest["models"]) == names
    for name, entry in manifest["models"].items():
        model = assets[f"{entry['folder']}.model.joblib"]
        assert hashlib.sha256(model).hexdigest() == entry["sha256"], name
        assert entry["md5"] == listing["models"][name]["md5"], name
        assert (entry["version"], entry["release"]) == ("v0.1.0", "models-release-1")
    tags = remote_tags(ci)
    assert all(f"refs/tags/{e['tag']}" in tags for e in manifest["models"].values()), tags
    first_release = ci.fake.releases[0]["id"]

    one = names[3]
    # A setting that changes the model's file, not its trees (no tree is that deep).
    ci.set_param("train.overrides", {one: {"random_forest": {"max_depth": 1000}}})
    # As the README says: the change and its outputs (dvc.lock, reports/models.json) in one
    # commit, so that each released model is the one git records.
    done = ci.run(sys.executable, "tasks.py", "repro", label="local repro, one override")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ci.git("commit", "-qam", "A depth limit for one store")
    ci.push("main")
    since = len(ci.fake.calls)
    second = ci.act("workflow_dispatch", "-W", PUBLISH, label="publish, one model changed")
    assert second.returncode == 0, report(second)
    assets = released_assets(ci, "models-release-2")
    folder = manifest["models"][one]["folder"]
    expected = {f"{folder}.{f}" for f in ("model.joblib", "metrics.json", "profile.json")}
    assert set(assets) == {*expected, "manifest.json"}
    latest = json.loads(assets["manifest.json"])
    assert sorted(latest["models"]) == names
    changed = {n for n, e in latest["models"].items() if e != manifest["models"][n]}
    assert changed == {one}
    assert (latest["models"][one]["version"], latest["models"][one]["release"]) == (
        "v0.1.1",
        "models-release-2",
    )
    assert f"refs/tags/{latest['models'][one]['tag']}" in remote_tags(ci)
    assert [r["id"] for r in ci.fake.releases if r["tag_name"] == "models-release-1"] == [
        first_release
    ]
    calls = len(ci.fake.calls) - since
    print(f"\nGitHub API calls of the second publish: {calls}")
    assert calls < 40, calls  # grows with the models that changed, not with all 29

    # The Monitor workflow now checks the released models (the newest release), without the
    # DVC remote, downloading the files of the two segments the batch holds, not all 29.
    ci.git("fetch", "-q", "--tags", "origin")  # the tags the releases made, in this clone
    drifted = [names[4], one]
    batch = pd.read_parquet(ci.root / "data" / "prepared" / "test.parquet")
    batch = batch[batch["segment"].isin(drifted)].copy()
    batch["x00"] += 3 * batch["x00"].std()
    (ci.root / BATCH).parent.mkdir(parents=True, exist_ok=True)
    batch.to_csv(ci.root / BATCH, index=False)
    ci.git("add", BATCH)
    ci.git("commit", "-qm", "A batch of two stores, both shifted")
    shutil.rmtree(ci.storage)
    result = ci.act("schedule", "-W", ".github/workflows/monitor.yml", label="monitor a release")
    assert result.returncode == 0, report(result)
    assert succeeded(result, "Monitor/Check the batch"), report(result)
    artifacts = ci.root / ".ci-local" / "artifacts" / "monitor-report"
    found = json.loads((artifacts / "monitor.json").read_text(encoding="utf-8"))
    assert found["inputs"]["release"] == "models-release-2", found["inputs"]
    assert found["inputs"]["versions"][one] == latest["models"][one]["tag"]
    assert sorted(found["summary"]["unhealthy_models"]) == sorted(drifted)
    fetched = {a["name"] for r in ci.fake.releases for a in r["assets"] if a["download_count"]}
    folders = {latest["models"][n]["folder"] for n in drifted}
    assert {name.split(".", 1)[0] for name in fetched - {"manifest.json"}} == folders, fetched


def remote_tags(ci: CiProject) -> str:
    found = subprocess.run(
        ["git", "ls-remote", "--tags", str(ci.origin)], capture_output=True, text=True, check=True
    )
    return found.stdout
