"""Promotion rules (each refusal one line, nothing written), the stage tags they write, the
registry that reads them back, and `gto show` reading the same tags."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlops_kit.release import promote, promote_group, registry, stage_tags

CLOCK = itertools.count(1_800_000_000)
GTO = Path(sys.executable).with_name("gto")  # comes with dvc (gto>=1.6,<2)


@pytest.fixture
def project(fake_github, git, commit, monkeypatch):
    """A repository on main whose commits can be published as versions."""
    for name in ("GITHUB_RUN_ID", "GITHUB_ACTIONS", "DEFAULT_BRANCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TRIGGERING_ACTOR", "alice")
    Path("README.md").write_text("A model.\n", encoding="utf-8")
    commit("First")
    return fake_github


def review(login: str, stage: str, comment: str, state: str = "approved") -> dict:
    environment = {"id": 161088068, "node_id": "EN_1", "name": stage, "url": "", "html_url": ""}
    return {"state": state, "comment": comment, "environments": [environment],
            "user": {"login": login, "id": 1, "type": "User"}}  # fmt: skip


def publish(fake, git, commit, version: str, *, prerelease=False, tag=True) -> str:
    """A new commit published as `model@<version>`: its release and its tag, on GitHub and
    here (as a checkout with fetched tags has it)."""
    Path("notes.txt").write_text(f"{version}\n", encoding="utf-8")
    sha = commit(f"Version {version}")
    name = f"model@{version}"
    fake.releases.append(
        {"id": len(fake.releases) + 1, "tag_name": name, "target_commitish": sha,
         "draft": False, "prerelease": prerelease, "assets": []}
    )  # fmt: skip
    if tag:
        fake.refs[f"refs/tags/{name}"] = {"type": "commit", "sha": sha}
        git("tag", "-a", name, "-m", f"Publish {name}", sha)
    return sha


def fetch_tags(fake, git) -> None:
    """What the workflow's checkout sees: the stage tags GitHub now has, made here, each a
    second after the last (gto orders a stage's tags by their time)."""
    for ref, target in fake.refs.items():
        name = ref.removeprefix("refs/tags/")
        if "#" in name and not git("tag", "--list", name):
            obj = fake.tags[target["sha"]]
            env = {**os.environ, "GIT_COMMITTER_DATE": f"{next(CLOCK)} +0000"}
            made = ["git", "tag", "-a", name, "-m", obj["message"], obj["object"]["sha"]]
            subprocess.run(made, check=True, env=env)


def run(*args: str) -> int:
    return promote.main(list(args))


def refused(capsys, text: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: Not promoting: "), err
    assert text in err[0]


def test_a_version_not_published_is_refused(project, git, commit, capsys):
    assert run("--version", "model@v0.1.0", "--stage", "staging") == 1
    refused(capsys, "model@v0.1.0 is not published: there is no release model@v0.1.0")
    publish(project, git, commit, "v0.1.1", prerelease=True)
    assert run("--version", "v0.1.1", "--stage", "staging") == 1
    refused(capsys, "model@v0.1.1 is not published: its release is a pre-release")
    publish(project, git, commit, "v0.1.2", tag=False)
    assert run("--version", "0.1.2", "--stage", "staging") == 1
    refused(capsys, "its release has no git tag model@v0.1.2 on GitHub")
    assert run("--version", "latest", "--stage", "staging") == 1
    refused(capsys, "--version 'latest': give a published version, like model@v1.2.0")
    assert project.writes == []


def test_a_version_off_the_default_branch_is_refused(project, git, commit, capsys):
    git("checkout", "-q", "-b", "experiment")
    sha = publish(project, git, commit, "v0.1.0")
    git("checkout", "-q", "main")
    assert run("--version", "model@v0.1.0", "--stage", "staging") == 1
    refused(capsys, f"published from commit {sha[:7]}, which is not on main")
    assert project.writes == []


def test_production_before_staging_is_refused(project, git, commit, capsys):
    publish(project, git, commit, "v0.1.0")
    assert run("--version", "model@v0.1.0", "--stage", "production") == 1
    refused(capsys, "model@v0.1.0 was never in staging: promote it to staging first")
    assert run("--version", "model@v0.1.0", "--stage", "qa") == 1
    refused(capsys, "--stage 'qa': choose one of staging, production")
    assert project.writes == []


def test_staging_then_production_then_a_rollback(project, git, commit, capsys, monkeypatch):
    first = publish(project, git, commit, "v0.1.0")
    assert run("--version", "model@v0.1.0", "--stage", "staging", "--check") == 0
    assert "may be promoted to staging as model#staging#1" in capsys.readouterr().out
    assert project.writes == []
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    project.approvals[42] = [  # the run's approvals, in GitHub's shape
        review("carol", "production", "not this one"),
        review("dan", "staging", "no", "rejected"),
    ]
    assert run("--version", "model@v0.1.0", "--stage", "staging") == 0
    assert "promoted model@v0.1.0 to staging: model#staging#1" in capsys.readouterr().out
    ref = project.refs["refs/tags/model#staging#1"]
    tag = project.tags[ref["sha"]]
    assert tag["object"] == {"sha": first, "type": "commit"}
    assert tag["message"].splitlines() == [
        "Promote model@v0.1.0 to staging",
        "",
        "Started by: alice",
        "Approved by: no one (the environment staging has no required reviewers)",
        f"Run: https://github.com/{os.environ['GITHUB_REPOSITORY']}/actions/runs/42",
    ]
    fetch_tags(project, git)
    project.approvals[42] = [review("bob", "production", "metrics\n checked")]
    assert run("--version", "model@v0.1.0", "--stage", "production") == 0
    ref = project.refs["refs/tags/model#production#1"]
    assert 'Approved by: bob ("metrics checked")' in project.tags[ref["sha"]]["message"]
    fetch_tags(project, git)
    second = publish(project, git, commit, "v0.1.1")
    for stage in ("staging", "production"):
        assert run("--version", "model@v0.1.1", "--stage", stage) == 0
        fetch_tags(project, git)
    assert stage_tags.resolve("production").version == "model@v0.1.1"
    assert run("--version", "model@v0.1.0", "--stage", "production") == 0  # the rollback
    fetch_tags(project, git)
    held = stage_tags.resolve("production")
    assert (held.tag, held.version, held.commit) == ("model#production#3", "model@v0.1.0", first)
    assert run("--version", "model@v0.1.0", "--stage", "production") == 0
    assert "is in production already (model#production#3)" in capsys.readouterr().out
    names = [p.tag for p in stage_tags.history()]
    assert names == [
        "model#production#1", "model#production#2", "model#production#3",
        "model#staging#1", "model#staging#2",
    ]  # fmt: skip
    assert stage_tags.resolve("staging").commit == second

    capsys.readouterr()
    assert registry.main(["--json"]) == 0
    rows = {row["stage"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["production"]["version"] == "model@v0.1.0"
    assert rows["production"]["promotions"] == 3
    assert rows["staging"]["version"] == "model@v0.1.1"
    assert registry.main(["--stage", "production"]) == 0
    assert capsys.readouterr().out == "model@v0.1.0\n"

    # gto, which comes with dvc, reads the same tags
    shown = subprocess.run(
        [str(GTO), "show", "--json"], capture_output=True, text=True, check=True, env=os.environ
    )
    model = json.loads(shown.stdout)["model"]
    assert model["version"] == "v0.1.1"
    assert model["stage"] == {"production": "v0.1.0", "staging": "v0.1.1"}


def test_registry_resolves_a_stage_quickly_among_thousands_of_tags(git, commit, capsys):
    """3,000 versions and 3,000 promotions, made with one `git fast-import`."""
    Path("README.md").write_text("A model.\n", encoding="utf-8")
    sha = commit("First")
    assert registry.main([]) == 0  # nothing promoted yet: each stage shows it
    assert capsys.readouterr().out.splitlines()[1:] == ["staging     -        -    0",
                                                        "production  -        -    0"]  # fmt: skip
    assert registry.main(["--stage", "production"]) == 1
    assert capsys.readouterr().err == "error: production holds no version of model\n"
    count, lines = 3000, []
    for n in range(1, count + 1):
        for name in (f"model@v1.0.{n}", f"model#{'production' if n % 2 else 'staging'}#{n}"):
            message = f"{name}\n"
            lines += [f"tag {name}", f"from {sha}", "tagger T <t@example.com> 1700000000 +0000",
                      f"data {len(message)}", message]  # fmt: skip
    result = subprocess.run(
        ["git", "fast-import", "--quiet"], input="\n".join(lines) + "\n", text=True, check=False
    )
    assert result.returncode == 0
    start = time.perf_counter()
    assert registry.main(["--stage", "production"]) == 0
    took = time.perf_counter() - start
    assert capsys.readouterr().out == f"model@v1.0.{count}\n"  # the highest version there
    start = time.perf_counter()
    assert registry.main([]) == 0
    listed = time.perf_counter() - start
    assert "model#staging#3000" in capsys.readouterr().out
    print(f"\n{2 * count} tags: --stage production {took:.3f} s, the listing {listed:.3f} s")


def test_what_the_promote_workflow_runs_needs_the_standard_library_only():
    code = f"import {promote.__name__}, {promote_group.__name__}, {registry.__name__}; print('ok')"
    env = {**os.environ, "PYTHONPATH": str(Path(promote.__file__).parents[2])}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout == "ok\n", result.stderr
    assert shutil.which("git")
