"""Slow tier: the generated Promote workflow under act, against the fake GitHub.

Two versions are published (a release and its annotated tag on GitHub). Promoting the first
straight to production is refused in one line, and so is a version published from a branch
that is not on main; nothing is written. Promoting to staging, then to production, creates
each stage tag through the REST API (a tag object, then its ref), with who started the run,
who approved it and the run's URL in its message; a rollback is one more tag. `gto show` and
the project's registry read the result from a clone of the repository. (The workflow's
checkout clones the local project, so the test fetches the new tags into it after each run,
as a developer's `git fetch --tags` would.)
"""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
from conftest import BIN
from test_workflows import CiProject, report, succeeded
from test_workflows_publish import remote_tags

pytestmark = pytest.mark.slow

PROMOTE = ("workflow_dispatch", "-W", ".github/workflows/promote.yml")


@pytest.fixture
def ci(tmp_path):
    project = CiProject(tmp_path)
    yield project
    project.close()
    print(f"\nact timings (s): {json.dumps(project.timings)}")


def publish(ci: CiProject, version: str) -> str:
    """HEAD published as `model@<version>`, as Publish leaves it: its annotated tag pushed
    to origin, then a public release of that tag, created through the API."""
    tag = f"model@{version}"
    ci.git("tag", "-a", tag, "-m", f"Publish {tag}")
    ci.git("push", "-q", "origin", f"refs/tags/{tag}")
    body = {"tag_name": tag, "target_commitish": ci.git("rev-parse", "HEAD"), "draft": False}
    request = urllib.request.Request(
        f"{ci.fake.url}/repos/{ci.repo}/releases",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer local", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    return ci.git("rev-parse", "HEAD")


def promote(ci: CiProject, version: str, stage: str) -> subprocess.CompletedProcess:
    inputs = {"version": version, "stage": stage}
    payload = {"inputs": inputs, "repository": {"full_name": ci.repo, "default_branch": "main"}}
    args = [arg for name, value in inputs.items() for arg in ("--input", f"{name}={value}")]
    label = f"promote {version} to {stage}"
    result = ci.act(*PROMOTE, *args, "--actor", "alice", payload=payload, label=label)
    ci.git("fetch", "-q", "--tags", "origin")  # the next run checks out this repository
    return result


def refusal(ci: CiProject, result: subprocess.CompletedProcess, since: int) -> str:
    """The one error line of a refused promotion, once nothing was written."""
    assert result.returncode != 0, report(result)
    errors = [line for line in result.stdout.splitlines() if "::error::" in line]
    assert len(errors) == 1, report(result)
    assert "Traceback" not in result.stdout
    assert not succeeded(result, "Promote/Promote")
    assert ci.writes(since) == []
    return errors[0]


def tag_message(ci: CiProject, name: str) -> str:
    (obj,) = [t for t in ci.fake.tags.values() if t["tag"] == name]
    return obj["message"]


def test_promote_to_staging_then_production_refusing_what_the_rules_forbid(ci):
    ci.push("main")
    first = publish(ci, "v0.1.0")
    ci.git("checkout", "-q", "-b", "experiment")
    ci.git("commit", "-q", "--allow-empty", "-m", "An experiment")
    ci.push("experiment")
    off_main = publish(ci, "v0.2.0")
    ci.git("checkout", "-q", "main")
    since = len(ci.fake.calls)  # after the two releases

    line = refusal(ci, promote(ci, "model@v0.1.0", "production"), since)
    assert "Not promoting: model@v0.1.0 was never in staging: promote it to staging first" in line
    line = refusal(ci, promote(ci, "model@v0.2.0", "staging"), since)
    assert f"published from commit {off_main[:7]}, which is not on main" in line
    line = refusal(ci, promote(ci, "model@v0.9.0", "staging"), since)
    assert "model@v0.9.0 is not published: there is no release model@v0.9.0" in line

    ci.fake.add_approval(1, "bob", "checked the metrics", environment="staging")
    result = promote(ci, "model@v0.1.0", "staging")
    assert result.returncode == 0, report(result)
    assert "promoted model@v0.1.0 to staging: model#staging#1" in result.stdout
    ci.fake.approvals.clear()
    ci.fake.add_approval(1, "carol", environment="production")
    result = promote(ci, "v0.1.0", "production")
    assert result.returncode == 0, report(result)

    posts = [(c["path"], c["status"]) for c in ci.writes(since)]
    api = f"/repos/{ci.repo}/git"
    assert posts == [(f"{api}/tags", 201), (f"{api}/refs", 201)] * 2
    tags = remote_tags(ci)
    assert tags["model#staging#1"] == tags["model#production#1"] == first
    message = tag_message(ci, "model#staging#1").splitlines()
    assert message[:4] == [
        "Promote model@v0.1.0 to staging",
        "",
        "Started by: alice",
        'Approved by: bob ("checked the metrics")',
    ]
    assert message[4].startswith(f"Run: https://github.com/{ci.repo}/actions/runs/")
    assert "Approved by: carol" in tag_message(ci, "model#production#1")

    # What a clone sees: gto (installed with dvc) and the project's registry agree.
    clone = ci.tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(ci.origin), str(clone)], check=True, env=ci.env)
    shown = subprocess.run(
        [BIN / "gto", "show", "--json"], cwd=clone, capture_output=True, text=True, env=ci.env
    )
    assert shown.returncode == 0, shown.stderr
    model = json.loads(shown.stdout)["model"]
    assert model["stage"] == {"production": "v0.1.0", "staging": "v0.1.0"}
    python = ci.root / ".venv" / "bin" / "python"
    listed = subprocess.run(
        [python, "-m", "mlops_kit.release.registry", "--json"],
        cwd=clone,
        capture_output=True,
        text=True,
        env={**ci.env, "PYTHONPATH": str(ci.root / "src")},
    )
    assert listed.returncode == 0, listed.stderr
    rows = {row["stage"]: row["tag"] for row in json.loads(listed.stdout)}
    assert rows == {"staging": "model#staging#1", "production": "model#production#1"}
