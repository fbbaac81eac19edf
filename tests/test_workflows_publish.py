"""Slow tier: the generated Publish workflow under act, against a fake GitHub that fails.

Writes GitHub is asked for fail in turn, in one project: an upload after the first asset
(a draft half filled), the ref of the tag (its tag object already in the origin) and the
publish itself (a complete, tagged draft); after each failed run no public release lacks an
asset, and the next run on the same commit finishes the job: one release, one tag. A
failure at each of the five kinds of write (create the draft, upload an asset, create the
tag object, create its ref, publish), and the next run finishing the job, is checked for
the same publish code in tests/kit/ci/test_publish.py
(test_a_run_that_fails_at_any_write_is_finished_by_the_next). Then a second version is
published while every kind of write has its reply lost.
A manual publish from a branch other than the default one is refused in one line, and so is
a publish whose DVC remote folder does not exist.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from test_workflows import CiProject, released_assets, report, succeeded

pytestmark = pytest.mark.slow

NAMES = [
    "MODEL_CARD.md",
    "lineage.json",
    "metrics.json",
    "model.joblib",
    "model_card.json",
    "profile.json",
]
PUBLISH = ("workflow_dispatch", "-W", ".github/workflows/publish.yml")
# Every kind of write, in the order a publish makes them
WRITES = ["release", "upload", "tag", "ref", "patch"]
# (kind of write, which one of that kind fails): the ones failed under act, in that order
STEPS = [("upload", 2), ("ref", 1), ("patch", 1)]


def public_releases_are_complete(ci: CiProject) -> bool:
    public = [r for r in ci.fake.releases if not r["draft"]]
    return all(sorted(a["name"] for a in r["assets"]) == NAMES for r in public)


def remote_tags(ci: CiProject) -> dict[str, str]:
    """{tag: the commit it names} in the origin repository."""
    lines = subprocess.run(
        ["git", "ls-remote", "--tags", str(ci.origin)], capture_output=True, text=True
    ).stdout.splitlines()
    found = {}
    for sha, ref in (line.split("\t") for line in lines):
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            found[name[:-3]] = sha  # an annotated tag, peeled to its commit
        else:
            found.setdefault(name, sha)
    return found


def assert_converged(ci: CiProject, commits: dict[str, str]) -> None:
    """One public, complete release per tag, each asset intact, and one tag per release."""
    assert sorted(r["tag_name"] for r in ci.fake.releases) == sorted(commits)
    for release in ci.fake.releases:
        assert release["draft"] is False, release["tag_name"]
        assert sorted(a["name"] for a in release["assets"]) == NAMES
        for asset in release["assets"]:
            assert asset["size"] == len(ci.fake.assets[asset["id"]])
        assert release["target_commitish"] == commits[release["tag_name"]]
    assert remote_tags(ci) == commits


def assert_card_approvals(ci: CiProject, tag: str, status: str, reviewers: list[str]) -> None:
    """The release's model card and its sidecar record the run's environment reviews."""
    assets = released_assets(ci, tag)
    card = json.loads(assets["model_card.json"])
    assert card["model"]["tag"] == tag
    assert card["approvals"]["status"] == status
    assert [r["reviewer"] for r in card["approvals"]["reviews"]] == reviewers
    assert card["approvals"]["run"]["url"].endswith(f"/{ci.repo}/actions/runs/1")
    text = assets["MODEL_CARD.md"].decode()
    assert text.startswith("---\nlicense: ")
    for reviewer in reviewers:
        assert f"| `{reviewer}` | `approved` |" in text


@pytest.fixture
def ci(tmp_path):
    project = CiProject(tmp_path)
    yield project
    project.close()
    print(f"\nact timings (s): {json.dumps(project.timings)}")


def test_a_publish_failing_at_each_write_converges_on_the_next_run(ci):
    ci.use_folder_remote()
    ci.push("main")
    head = ci.git("rev-parse", "HEAD")
    for kind, nth in STEPS:
        ci.fake.fail_write(kind, nth=nth, times=20)
        result = ci.act(*PUBLISH, label=f"publish, {kind} fails")
        assert result.returncode != 0, report(result)
        errors = [line for line in result.stdout.splitlines() if "::error::" in line]
        assert any("Publishing stopped:" in line for line in errors), report(result)
        assert "run the publish again on this commit to finish it" in result.stdout
        assert "Traceback" not in result.stdout
        assert public_releases_are_complete(ci), kind
        ci.fake.faults.clear()
    assert [r["draft"] for r in ci.fake.releases] == [True]  # complete, tagged, not public
    assert remote_tags(ci) == {"model@v0.1.0": head}

    ci.fake.add_approval(1, "release-manager", "Metrics checked")  # act's run id is 1
    result = ci.act(*PUBLISH, label="publish again")
    assert result.returncode == 0, report(result)
    assert "published model@v0.1.0" in result.stdout
    assert_converged(ci, {"model@v0.1.0": head})
    assert_card_approvals(ci, "model@v0.1.0", "approved", ["release-manager"])

    # A second version, in a run nobody reviewed (act numbers every run 1), while GitHub
    # loses its reply to every kind of write once.
    ci.fake.approvals.clear()
    with (ci.root / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nA note for v0.1.1.\n")
    ci.git("commit", "-qam", "README: a note")
    ci.push("main")
    second = ci.git("rev-parse", "HEAD")
    for kind in WRITES:
        ci.fake.fail_write(kind, lost=True)
    result = ci.act(*PUBLISH, label="publish, replies lost")
    assert result.returncode == 0, report(result)
    assert all(fault["left"] == 0 for fault in ci.fake.faults)
    assert_converged(ci, {"model@v0.1.0": head, "model@v0.1.1": second})
    assert_card_approvals(ci, "model@v0.1.1", "no required reviewers", [])


def test_manual_publish_from_a_branch_or_without_its_dvc_remote_is_refused(ci):
    ci.branch_with_params("experiment", "Fewer trees", train__random_forest__n_estimators=20)
    result = ci.act(*PUBLISH, label="publish from a branch")
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "::error::" in line]
    assert len(errors) == 1, report(result)
    assert (
        "Not publishing from refs/heads/experiment: models are published from the default "
        "branch (main) only" in errors[0]
    )
    assert not succeeded(result, "Publish/Gate and publish the model")
    assert ci.fake.calls == []

    ci.git("checkout", "-q", "main")  # the DVC remote: a folder that is not on this machine
    result = ci.act(*PUBLISH, label="publish without the DVC remote")
    assert result.returncode != 0
    assert "`dvc push` cannot run and nothing is published" in result.stdout, report(result)
    assert ci.fake.releases == []
    assert not [c for c in ci.fake.calls if c["method"] != "GET"]
