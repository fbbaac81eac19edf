"""Publishing a project with many models: one release of the models that changed, a manifest,
and a version tag per model, against the fake GitHub of the workflow tests."""

import hashlib
import json
import re

import jsonschema
import pytest
import yaml
from fake_github import FakeGitHub
from mlops_kit import common, schemas
from mlops_kit.release import manifest, many, promote, publish
from mlops_kit.segments import names

REPO = "acme/project"
AWKWARD = "Store #7 / Lisbon"
MARKDOWN = "[x](https://e.vil) @someone `tick` <b>"
VALIDATION = {"success": True, "evaluated": 3, "successful": 3, "rows": 150, "failed": []}
DVC_YAML = {"stages": {"evaluate": {"cmd": "python -m evaluate", "outs": ["reports/models.json"]}}}
GTO = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?@v\d+\.\d+\.\d+")


def metrics(params, amount):
    """Each gated metric ``amount`` tolerances worse (negative: better) than 0.5."""
    return {
        name: 0.5 + (-1 if rule["direction"] == "higher" else 1) * amount * rule["tolerance"]
        for name, rule in params["compare"]["metrics"].items()
    }


@pytest.fixture
def fake(monkeypatch):
    with FakeGitHub(REPO) as github:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_TOKEN", "test-token")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_RETRY_DELAY", "0")
        yield github


@pytest.fixture
def project(commit, params, set_params):
    """A many-models project's outputs, committed; call it with {name: (model bytes, how many
    tolerances worse than 0.5 its metrics are)} for the next commit."""
    params["compare"]["models"] = {"allow_worse": 0}
    set_params(params)
    common.ensure_parent("dvc.yaml").write_text(yaml.safe_dump(DVC_YAML), encoding="utf-8")
    common.write_json("reports/validation.json", VALIDATION)
    state: dict[str, tuple[bytes, float]] = {}

    def write(models: dict[str, tuple[bytes, float]]) -> str:
        state.update(models)
        entries = {}
        for name, (data, amount) in state.items():
            path = f"models/shard-{names.shard_of(name, 2)}/{names.folder(name)}"
            common.ensure_parent(f"{path}/model.joblib").write_bytes(data)
            common.write_json(f"{path}/metrics.json", metrics(params, amount))
            common.write_json(f"{path}/profile.json", {"format": 1, "rows": 3})
            entries[name] = {
                "path": path,
                "shard": names.shard_of(name, 2),
                "rows": {"train": 9, "test": 3},
                "metrics": metrics(params, amount),
                "intervals": {},
                "overrides": {},
                "fingerprint": "f" * 64,
                "data": hashlib.sha256(name.encode()).hexdigest(),
                "md5": hashlib.md5(data).hexdigest(),
            }
        listing = {"task": "classification", "segment_by": "store", "aggregate": {}}
        common.write_json("reports/models.json", {**listing, "models": entries, "skipped": {}})
        return commit(f"{len(models)} models")

    return write


def three(project) -> str:
    return project({"a": (b"model a", 0), AWKWARD: (b"model 7", 0), MARKDOWN: (b"model m", 0)})


def release(fake, tag):
    (found,) = [r for r in fake.releases if r["tag_name"] == tag]
    return found, {a["name"]: fake.assets[a["id"]] for a in found["assets"]}


def read_manifest(fake, tag):
    found = json.loads(release(fake, tag)[1]["manifest.json"])
    jsonschema.validate(found, schemas.schema("manifest"))
    return found


def writes(fake):
    return [c for c in fake.calls if c["method"] != "GET"]


def test_the_first_publish_releases_every_model_with_its_tag_and_the_manifest(
    project, fake, capsys
):
    sha = three(project)
    assert publish.main([]) == 0
    assert "published 3 models as models-release-1" in capsys.readouterr().out
    found, assets = release(fake, "models-release-1")
    assert found["draft"] is False
    assert found["target_commitish"] == sha
    folders = [names.folder(n) for n in ("a", AWKWARD, MARKDOWN)]
    expected = {f"{f}.{file}" for f in folders for file in manifest.FILES}
    assert set(assets) == {*expected, "manifest.json"}
    listed = read_manifest(fake, "models-release-1")
    assert (listed["format"], listed["release"], listed["commit"]) == (1, "models-release-1", sha)
    assert (listed["segment_by"], listed["task"]) == ("store", "classification")
    for name, data in (("a", b"model a"), (AWKWARD, b"model 7"), (MARKDOWN, b"model m")):
        entry = listed["models"][name]
        assert assets[f"{entry['folder']}.model.joblib"] == data
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["md5"] == hashlib.md5(data).hexdigest()
        assert entry["tag"] == f"{entry['artifact']}@v0.1.0"
        assert entry["release"] == "models-release-1"
        assert GTO.fullmatch(entry["tag"])
        assert f"refs/tags/{entry['tag']}" in fake.refs
    messages = sorted(t["message"] for t in fake.tags.values())
    assert "Registering artifact a version v0.1.0" in messages
    assert len(messages) == 3
    for text in (AWKWARD, MARKDOWN, "#7", "@someone", "](", "<b>"):
        assert text not in found["body"]
    assert "- `a@v0.1.0`" in found["body"]

    before = len(writes(fake))
    assert publish.main([]) == 0
    assert "already published as models-release-1" in capsys.readouterr().out
    assert len(writes(fake)) == before


def test_a_second_publish_releases_only_the_changed_model(project, fake, capsys):
    three(project)
    assert publish.main([]) == 0
    tags = set(fake.refs)
    sha = project({AWKWARD: (b"model 7, retrained", -1)})
    assert publish.main([]) == 0
    assert "published 1 models as models-release-2" in capsys.readouterr().out
    folder = names.folder(AWKWARD)
    _, assets = release(fake, "models-release-2")
    assert set(assets) == {f"{folder}.{file}" for file in manifest.FILES} | {"manifest.json"}
    listed = read_manifest(fake, "models-release-2")
    assert listed["commit"] == sha
    artifact = manifest.artifact(AWKWARD)
    assert listed["models"][AWKWARD]["tag"] == f"{artifact}@v0.1.1"
    assert listed["models"][AWKWARD]["release"] == "models-release-2"
    assert listed["models"]["a"]["release"] == "models-release-1"  # untouched, still listed
    assert set(fake.refs) - tags == {f"refs/tags/{artifact}@v0.1.1", "refs/tags/models-release-2"}


def test_models_the_commit_does_not_record_are_not_published(project, fake, commit, capsys):
    three(project)
    made = common.read_json("reports/models.json")
    stale = json.loads(json.dumps(made))
    stale["models"][AWKWARD]["md5"] = "0" * 32  # committed before `dvc repro` ran again
    common.write_json("reports/models.json", stale)
    commit("a record of another model")
    common.write_json("reports/models.json", made)  # what `dvc repro` made here
    assert publish.main([]) == 1
    said = capsys.readouterr().err
    assert said.startswith("error: reports/models.json at ")
    assert len(said.strip().splitlines()) == 1
    assert "Store #7 / Lisbon; commit dvc.lock and reports/models.json after `dvc repro`" in said
    assert writes(fake) == []


def test_a_model_no_longer_in_the_project_is_dropped_from_the_next_manifest(
    project, fake, commit, capsys
):
    three(project)
    assert publish.main([]) == 0
    gone = manifest.artifact(MARKDOWN) + "@v0.1.0"
    listing = common.read_json("reports/models.json")
    del listing["models"][MARKDOWN]
    common.write_json("reports/models.json", listing)
    sha = commit("one segment fewer")
    assert publish.main([]) == 0
    assert "published 0 models as models-release-2" in capsys.readouterr().out
    found, assets = release(fake, "models-release-2")
    assert set(assets) == {"manifest.json"}  # nothing changed but the list
    listed = read_manifest(fake, "models-release-2")
    assert (listed["commit"], sorted(listed["models"])) == (sha, sorted(["a", AWKWARD]))
    assert listed["models"]["a"]["release"] == "models-release-1"
    assert f"- `{gone}`" in found["body"]
    assert MARKDOWN not in found["body"]
    before = len(writes(fake))
    assert publish.main([]) == 0  # a rerun: the same manifest, nothing written
    assert "already published as models-release-2" in capsys.readouterr().out
    assert len(writes(fake)) == before


@pytest.mark.parametrize(("allow", "code"), [(0, 1), (1, 0)])
def test_a_worse_model_is_held_back_and_named(
    project, fake, params, set_params, capsys, allow, code
):
    three(project)
    assert publish.main([]) == 0
    params["compare"]["models"] = {"allow_worse": allow}
    set_params(params)  # committed with the models below
    project({MARKDOWN: (b"model m, worse", 1.5), "a": (b"model a, better", -1)})
    capsys.readouterr()
    assert publish.main([]) == code
    out = capsys.readouterr().out.splitlines()
    errors = [line for line in out if line.startswith("::error::")]
    assert len(errors) == 1
    assert errors[0].startswith(f"::error::Not publishing {MARKDOWN}: f1 0.5 -> ")
    assert errors[0].endswith(f"against {manifest.artifact(MARKDOWN)}@v0.1.0")
    listed = read_manifest(fake, "models-release-2")
    assert listed["models"]["a"]["tag"] == "a@v0.1.1"
    assert listed["models"][MARKDOWN]["release"] == "models-release-1"  # the old version stays
    assert publish.main([]) == code  # a rerun holds it back again and publishes nothing more
    assert "already published as models-release-2" in capsys.readouterr().out


@pytest.mark.parametrize(("kind", "nth"), [("upload", 4), ("tag", 2), ("ref", 2), ("patch", 1)])
def test_a_run_that_fails_halfway_is_finished_by_the_next(project, fake, capsys, kind, nth):
    three(project)
    fake.fail_write(kind, nth=nth, times=50)
    assert publish.main([]) == 1
    assert "run the publish again on this commit" in capsys.readouterr().out
    assert all(r["draft"] for r in fake.releases)
    fake.faults.clear()
    assert publish.main([]) == 0
    assert [r["tag_name"] for r in fake.releases] == ["models-release-1"]
    listed = read_manifest(fake, "models-release-1")
    tags = sorted(f"refs/tags/{e['tag']}" for e in listed["models"].values())
    assert sorted(fake.refs) == sorted([*tags, "refs/tags/models-release-1"])
    for ref in tags:  # each an annotated tag of that name (a refused ref leaves no other)
        assert fake.tags[fake.refs[ref]]["tag"] == ref.removeprefix("refs/tags/")
    _, assets = release(fake, "models-release-1")
    assert len(assets) == 10
    before = len(writes(fake))
    assert publish.main([]) == 0
    assert len(writes(fake)) == before


def test_dry_run_writes_nothing(project, fake, capsys):
    sha = three(project)
    assert publish.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"would publish 3 models as models-release-1 at {sha[:7]}: {AWKWARD}, {MARKDOWN}, a\n"
    )
    assert writes(fake) == []


def test_at_most_cap_models_a_release_and_a_rerun_publishes_the_rest(
    project, fake, capsys, monkeypatch
):
    monkeypatch.setattr(many, "CAP", 2)
    three(project)
    assert publish.main([]) == 0
    out = capsys.readouterr().out
    assert "published 2 models as models-release-1" in out
    assert "1 more changed models: run the publish again on this commit" in out
    assert publish.main([]) == 0
    assert "published 1 models as models-release-2" in capsys.readouterr().out
    listed = read_manifest(fake, "models-release-2")
    assert {e["release"] for e in listed["models"].values()} == {
        "models-release-1",
        "models-release-2",
    }
    assert publish.main([]) == 0
    assert "already published as models-release-2" in capsys.readouterr().out
    assert len(fake.releases) == 2


def test_api_calls_for_thirty_models_and_then_one(project, fake, capsys):
    project({f"store-{i:02d}": (f"model {i}".encode(), 0) for i in range(30)})
    assert publish.main([]) == 0
    first = len(fake.calls)
    project({"store-07": (b"model 7, retrained", -1)})
    assert publish.main([]) == 0
    second = len(fake.calls) - first
    print(f"API calls: {first} for 30 models, {second} for 1 changed model")
    assert first <= 30 * 8 + 12
    assert second <= 20


def test_a_model_path_outside_the_shards_is_one_line_and_calls_nothing(project, fake, capsys):
    three(project)
    listing = common.read_json("reports/models.json")
    listing["models"]["a"]["path"] = "../../secrets"
    common.write_json("reports/models.json", listing)  # a pipeline output: not a review matter
    assert publish.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: reports/models.json: the model 'a' has no md5 or a path ")
    assert len(err.strip().splitlines()) == 1
    assert fake.calls == []


def test_one_model_of_many_is_promoted_by_its_own_tag(project, fake, capsys, monkeypatch):
    for name in ("GITHUB_RUN_ID", "GITHUB_ACTIONS", "DEFAULT_BRANCH"):
        monkeypatch.delenv(name, raising=False)
    sha = three(project)
    assert publish.main([]) == 0
    artifact = manifest.artifact(AWKWARD)
    argv = ["--name", artifact, "--version", f"{artifact}@v0.1.0", "--stage", "staging"]
    assert promote.main(argv) == 0
    assert f"promoted {artifact}@v0.1.0 to staging: {artifact}#staging#1" in capsys.readouterr().out
    stage = fake.refs[f"refs/tags/{artifact}#staging#1"]
    assert fake.tags[stage]["object"]["sha"] == sha
    assert not any(ref.startswith("refs/tags/a#") for ref in fake.refs)  # that model only


def test_a_model_whose_release_is_not_public_is_not_promoted(project, fake, capsys):
    three(project)
    fake.fail_write("patch", times=50)  # the tags are made, the release stays a draft
    assert publish.main([]) == 1
    assert "refs/tags/a@v0.1.0" in fake.refs
    capsys.readouterr()
    assert promote.main(["--name", "a", "--version", "a@v0.1.0", "--stage", "staging"]) == 1
    assert "a@v0.1.0 is not published: there is no release a@v0.1.0" in capsys.readouterr().err


def test_a_draft_older_than_the_newest_release_is_left_and_a_new_number_taken(
    project, fake, git, capsys
):
    first = three(project)
    fake.fail_write("patch", times=50)
    assert publish.main([]) == 1  # models-release-1 stays a draft of the first commit
    fake.faults.clear()
    project({"a": (b"model a, retrained", -1)})
    assert publish.main([]) == 0  # models-release-2: every model, none published before
    git("checkout", "-q", first)
    capsys.readouterr()
    assert publish.main([]) == 0  # "a" differs from release 2's: published again, as 3
    assert "published 1 models as models-release-3" in capsys.readouterr().out
    drafts = [r["tag_name"] for r in fake.releases if r["draft"]]
    assert drafts == ["models-release-1"]
    assert read_manifest(fake, "models-release-3")["models"]["a"]["tag"] == "a@v0.1.2"


def test_a_published_release_missing_an_asset_gets_it_back(project, fake, capsys):
    three(project)
    assert publish.main([]) == 0
    found, _ = release(fake, "models-release-1")
    lost = f"{names.folder(AWKWARD)}.profile.json"
    found["assets"] = [a for a in found["assets"] if a["name"] != lost]
    capsys.readouterr()
    assert publish.main(["--dry-run"]) == 0
    assert f"would upload {lost} on models-release-1" in capsys.readouterr().out
    assert publish.main([]) == 0
    assert "already published as models-release-1" in capsys.readouterr().out
    _, assets = release(fake, "models-release-1")
    assert len(assets) == 10
    assert [c["path"] for c in writes(fake)][-1].endswith("/assets")


def test_repair_is_for_one_model_and_says_what_to_do_instead(project, fake, capsys):
    three(project)
    assert publish.main(["--repair", "a@v0.1.0"]) == 1
    assert capsys.readouterr().err == (
        "error: --repair withdraws one model's champion; in a project with many models, mark "
        "a broken models-release-<N> a pre-release on GitHub and publish again\n"
    )
    assert fake.calls == []


def test_a_broken_manifest_stops_in_one_line_and_a_pre_release_is_passed_over(
    project, fake, capsys
):
    three(project)
    assert publish.main([]) == 0
    project({"a": (b"model a, retrained", -1)})
    assert publish.main([]) == 0
    found, _ = release(fake, "models-release-2")
    (asset,) = [a for a in found["assets"] if a["name"] == "manifest.json"]
    fake.assets[asset["id"]] = b"<html>not json"
    project({"a": (b"model a, again", -2)})
    capsys.readouterr()
    assert publish.main([]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: models-release-2 has a manifest.json that is not a format-1")
    assert "mark that release a pre-release on GitHub" in line
    found["prerelease"] = True
    assert publish.main([]) == 0
    assert read_manifest(fake, "models-release-3")["models"]["a"]["tag"] == "a@v0.1.2"


def test_a_release_of_models_is_promoted_as_a_group(project, fake, git, capsys, monkeypatch):
    """promote_group: every model models-release-1 holds (or those a pattern names) gets its
    stage tag on the release's commit; production is refused for the whole group, in one
    line a model and with nothing tagged, while one of them was never in staging."""
    from mlops_kit.release import promote_group

    for name in ("GITHUB_RUN_ID", "GITHUB_ACTIONS", "DEFAULT_BRANCH"):
        monkeypatch.delenv(name, raising=False)
    sha = three(project)
    assert publish.main([]) == 0
    artifacts = sorted(manifest.artifact(n) for n in ("a", AWKWARD, MARKDOWN))
    group = ["--version", "models-release-1", "--stage"]

    assert promote_group.main([*group, "staging", "--name", "a"]) == 0
    assert "models-release-1: 1 models promoted to staging" in capsys.readouterr().out
    fetch_stage_tags(fake, git)
    before = dict(fake.refs)
    assert promote_group.main([*group, "production", "--name", "*"]) == 1
    err = capsys.readouterr().err
    assert err.count("was never in staging") == 2, err
    assert "2 of the 3 models are refused; nothing tagged" in err
    assert fake.refs == before

    assert promote_group.main([*group, "staging", "--name", "*", "--check"]) == 0
    assert "2 models may be promoted to staging, 1 in staging already" in capsys.readouterr().out
    assert fake.refs == before
    assert promote_group.main([*group, "staging", "--name", "*"]) == 0
    for artifact in artifacts:
        stage = fake.refs[f"refs/tags/{artifact}#staging#1"]
        assert fake.tags[stage]["object"]["sha"] == sha
    fetch_stage_tags(fake, git)
    assert promote_group.main([*group, "production", "--name", "*"]) == 0
    assert all(f"refs/tags/{a}#production#1" in fake.refs for a in artifacts)
    fetch_stage_tags(fake, git)
    capsys.readouterr()
    since = len(fake.calls)
    assert promote_group.main([*group, "production", "--name", "*"]) == 0  # a rerun
    assert (
        "models-release-1: nothing to do for production, 3 in production already"
        in capsys.readouterr().out
    )
    assert not [c for c in fake.calls[since:] if c["method"] != "GET"]
    assert promote_group.main(["--version", "a@v0.1.0", "--name", "a", "--stage", "staging"]) == 0
    assert "a@v0.1.0 is in staging already (a#staging#1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("version", "pattern", "said"),
    [
        ("models-release-9", "*", "there is no release models-release-9; publish first"),
        ("models-release-1", "b*", "no model that models-release-1 holds matches --name 'b*'"),
    ],
)
def test_a_group_that_is_not_there_is_one_line(project, fake, capsys, version, pattern, said):
    from mlops_kit.release import promote_group

    three(project)
    assert publish.main([]) == 0
    capsys.readouterr()
    argv = ["--version", version, "--name", pattern, "--stage", "staging"]
    assert promote_group.main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"error: Not promoting: {said}\n"


def fetch_stage_tags(fake, git) -> None:
    """What the Promote workflow's checkout (fetch-depth 0) sees: the stage tags GitHub has."""
    for ref, sha in fake.refs.items():
        name = ref.removeprefix("refs/tags/")
        if "#" in name and not git("tag", "--list", name):
            found = fake.tags[sha]
            git("tag", "-a", name, "-m", found["message"], found["object"]["sha"])
