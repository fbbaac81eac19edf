import hashlib
import json
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from mlops_kit import common
from mlops_kit.github.client import GitHub
from mlops_kit.release import publish
from mlops_kit.release.versions import next_version, version_of

# The assets of every release
NAMES = [
    "MODEL_CARD.md",
    "lineage.json",
    "metrics.json",
    "model.joblib",
    "model_card.json",
    "profile.json",
]
VALIDATION = {"success": True, "evaluated": 3, "successful": 3, "rows": 150, "failed": []}
LOCK = {
    "schema": "2.0",
    "stages": {
        "ingest": {"outs": [{"path": "data/raw/data.parquet", "md5": "a" * 32}]},
        "prepare": {"outs": [{"path": "data/prepared", "md5": "b" * 32 + ".dir"}]},
        "train": {"outs": [{"path": "models/model.joblib", "md5": "c" * 32}]},
    },
}
DVC_YAML = {
    "stages": {
        "validate": {"cmd": "python -m validate", "metrics": ["reports/validation.json"]},
        "train": {
            "cmd": "python -m train",
            "outs": ["models/model.joblib"],
            "metrics": [{"reports/metrics.json": {"cache": False}}],
        },
    },
    "artifacts": {"model": {"path": "models/model.joblib", "type": "model"}},
}
PYPROJECT = '[project]\nname = "flowers"\nversion = "0.1.0"\ndescription = "Sorts flowers."\n'


def metrics(params, amount):
    """Each gated metric ``amount`` tolerances worse (negative: better) than 0.5."""
    return {
        name: 0.5 + (-1 if rule["direction"] == "higher" else 1) * amount * rule["tolerance"]
        for name, rule in params["compare"]["metrics"].items()
    }


@pytest.fixture
def project(commit, params, set_params, fake_github):
    """A project of the tests' own (its dvc.yaml, pyproject.toml, params, reports; no DVC
    remote, so `dvc push` is skipped), and a function that commits the next model with
    given metrics."""
    set_params(params)
    common.ensure_parent("dvc.yaml").write_text(yaml.safe_dump(DVC_YAML), encoding="utf-8")
    common.ensure_parent("pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    common.write_json("reports/validation.json", VALIDATION)
    common.write_json("reports/profile.json", {"format": 1, "rows": 3})
    common.ensure_parent("dvc.lock").write_text(yaml.safe_dump(LOCK), encoding="utf-8")
    models = iter(range(1, 1000))

    def next_model(amount: float, model: bytes | None = None) -> str:
        model = model or f"model {next(models)}".encode()  # a new file for every commit
        common.ensure_parent("models/model.joblib").write_bytes(model)
        common.write_json("reports/metrics.json", metrics(params, amount))
        return commit(f"model {amount}")

    return next_model


def test_first_publish_creates_tag_release_and_assets_once(project, fake_github, capsys):
    sha = project(0, b"model-bytes")
    assert publish.main([]) == 0
    assert "published model@v0.1.0" in capsys.readouterr().out
    rid = fake_github.releases[0]["id"]
    assert [(m, p.split("?")[0]) for m, p in fake_github.writes] == [
        ("POST", "/repos/owner/repo/releases"),  # a draft
        *[("POST", f"/uploads/repos/owner/repo/releases/{rid}/assets")] * 6,
        ("POST", "/repos/owner/repo/git/tags"),
        ("POST", "/repos/owner/repo/git/refs"),
        ("PATCH", f"/repos/owner/repo/releases/{rid}"),  # public once complete
    ]
    (tag,) = fake_github.tags.values()
    assert tag["tag"] == "model@v0.1.0"
    assert tag["message"] == "Registering artifact model version v0.1.0"
    assert tag["object"] == {"sha": sha, "type": "commit"}
    assert fake_github.refs == {"refs/tags/model@v0.1.0": {"type": "tag", "sha": tag["sha"]}}
    (release,) = fake_github.releases
    assert release["draft"] is False
    assert release["tag_name"] == "model@v0.1.0"
    assert release["target_commitish"] == sha
    assert release["name"] == "model v0.1.0"
    assert release["body"].startswith("---\n")  # the model card's front matter
    assert "\n# model v0.1.0\n" in release["body"]
    assert "Sorts flowers." in release["body"]
    assert f"| scikit-learn | {metadata.version('scikit-learn')} |" in release["body"]
    assets = {a["name"]: fake_github.assets[a["id"]] for a in release["assets"]}
    assert assets["model.joblib"] == b"model-bytes"
    assert assets["MODEL_CARD.md"].decode() == release["body"]
    assert common.read_json("reports/metrics.json") == yaml.safe_load(assets["metrics.json"])
    record = json.loads(assets["lineage.json"])
    assert (record["release"], record["commit"]) == ("model@v0.1.0", sha)
    assert record["model"]["sha256"] == hashlib.sha256(b"model-bytes").hexdigest()
    assert record["training_data"] == []  # the test's dvc.lock names no training data
    assert assets["profile.json"] == Path("reports/profile.json").read_bytes()
    assert record["profile"]["sha256"] == hashlib.sha256(assets["profile.json"]).hexdigest()

    writes = len(fake_github.writes)
    assert publish.main([]) == 0
    assert "already published as model@v0.1.0" in capsys.readouterr().out
    assert len(fake_github.writes) == writes


def test_rerun_uploads_only_missing_assets(project, fake_github):
    project(0)
    assert publish.main([]) == 0
    release = fake_github.releases[0]
    release["assets"] = [a for a in release["assets"] if a["name"] != "MODEL_CARD.md"]
    writes = len(fake_github.writes)
    assert publish.main([]) == 0
    assert len(fake_github.writes) == writes + 1
    assert sorted(a["name"] for a in release["assets"]) == NAMES


def test_regression_gate_blocks_and_creates_nothing(project, fake_github, params, capsys):
    project(0)
    assert publish.main([]) == 0
    writes = len(fake_github.writes)
    project(1.5)  # every gated metric worse by more than its tolerance
    capsys.readouterr()
    assert publish.main([]) == 1
    errors = capsys.readouterr().out.splitlines()
    assert len(errors) == len(params["compare"]["metrics"])
    first = next(iter(params["compare"]["metrics"]))
    assert errors[0].startswith(f"::error::Not publishing: {first} 0.5 -> ")
    assert errors[0].endswith("against model@v0.1.0")
    assert len(fake_github.writes) == writes

    project(0.5)  # within tolerance: published as the next patch version
    assert publish.main([]) == 0
    assert [r["tag_name"] for r in fake_github.releases] == ["model@v0.1.0", "model@v0.1.1"]


def test_pre_release_is_not_the_published_version(project, fake_github):
    project(0)
    assert publish.main([]) == 0
    project(-2)
    assert publish.main([]) == 0
    fake_github.releases[-1]["prerelease"] = True  # v0.1.1 rolled back
    project(0.5)  # worse than v0.1.1 beyond tolerance, but not than v0.1.0
    assert publish.main([]) == 0
    assert fake_github.releases[-1]["tag_name"] == "model@v0.1.2"


def test_dry_run_writes_nothing(project, fake_github, capsys):
    sha = project(0)
    assert publish.main(["--dry-run"]) == 0
    assert f"would publish model@v0.1.0 at {sha[:7]}" in capsys.readouterr().out
    assert fake_github.writes == []


def test_tag_left_by_an_interrupted_run_is_reused(project, fake_github):
    sha = project(0)
    fake_github.refs["refs/tags/model@v0.1.0"] = {"type": "commit", "sha": sha}
    assert publish.main([]) == 0
    assert [r["tag_name"] for r in fake_github.releases] == ["model@v0.1.0"]


def test_failed_validation_stops_before_any_call(project, fake_github, capsys):
    project(0)
    common.write_json("reports/validation.json", {**VALIDATION, "success": False})
    assert publish.main([]) == 1
    assert "data validation did not pass" in capsys.readouterr().err
    assert fake_github.log == []


WRITES = ["release", "upload", "tag", "ref", "patch"]


def assert_converged(fake_github, tags=("model@v0.1.0",)):
    """Exactly one public release per tag, each with every asset intact, and one git tag."""
    assert sorted(r["tag_name"] for r in fake_github.releases) == sorted(tags)
    for release in fake_github.releases:
        assert release["draft"] is False
        assert sorted(a["name"] for a in release["assets"]) == NAMES
        for asset in release["assets"]:
            data = fake_github.assets[asset["id"]]
            assert asset["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert sorted(fake_github.refs) == sorted(f"refs/tags/{tag}" for tag in tags)


def public_ones_are_complete(fake_github) -> bool:
    public = [r for r in fake_github.releases if not r["draft"]]
    return all(sorted(a["name"] for a in r["assets"]) == NAMES for r in public)


@pytest.mark.parametrize("kind", WRITES)
def test_a_lost_reply_to_any_write_still_ends_in_one_release(project, fake_github, kind):
    project(0)
    fake_github.lose[kind] = 1  # applied by GitHub, but the answer never arrives
    assert publish.main([]) == 0
    assert fake_github.lose[kind] == 0
    assert_converged(fake_github)


@pytest.mark.parametrize("kind", WRITES)
def test_a_run_that_fails_at_any_write_is_finished_by_the_next(project, fake_github, capsys, kind):
    project(0)
    fake_github.refuse[kind] = 20  # GitHub down for that kind of write, for this run
    assert publish.main([]) == 1
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::error::")]
    assert "run the publish again on this commit to finish it" in line
    assert public_ones_are_complete(fake_github)
    if kind != "patch":
        assert all(r["draft"] for r in fake_github.releases)
    fake_github.refuse.clear()
    assert publish.main([]) == 0
    assert_converged(fake_github)
    writes = len(fake_github.writes)
    assert publish.main([]) == 0  # and then nothing more to do
    assert len(fake_github.writes) == writes


def test_a_duplicate_draft_and_a_wrong_asset_are_replaced(project, fake_github):
    sha = project(0)
    client = GitHub()
    fields = {"tag_name": "model@v0.1.0", "target_commitish": sha, "draft": True}
    first = client.post("/repos/owner/repo/releases", fields)
    client.post("/repos/owner/repo/releases", fields)
    client.upload_asset(first, "model.joblib", b"half a mod")
    assert publish.main([]) == 0
    assert_converged(fake_github)
    assert fake_github.releases[0]["id"] == first["id"]
    deletes = [p for m, p in fake_github.writes if m == "DELETE"]
    assert len(deletes) == 2  # the second draft, and the truncated model
    (model,) = [a for a in fake_github.releases[0]["assets"] if a["name"] == "model.joblib"]
    assert fake_github.assets[model["id"]] == Path("models/model.joblib").read_bytes()


def break_metrics(fake_github, how: str) -> None:
    release = fake_github.releases[0]
    (asset,) = [a for a in release["assets"] if a["name"] == "metrics.json"]
    if how == "missing":
        release["assets"].remove(asset)
    else:
        fake_github.assets[asset["id"]] = b"<html>not json"


@pytest.mark.parametrize("how", ["missing", "not-json"])
def test_a_broken_champion_is_repaired_not_a_dead_end(project, fake_github, capsys, how):
    project(0)
    assert publish.main([]) == 0
    break_metrics(fake_github, how)
    project(0)
    capsys.readouterr()
    assert publish.main([]) == 1
    out = capsys.readouterr()
    (line,) = out.out.splitlines()
    assert line.startswith("::error::Not publishing: the champion model@v0.1.0 ")
    assert "metrics.json" in line
    assert "`python -m mlops_kit.release.publish --repair model@v0.1.0`" in line
    assert "Traceback" not in out.err

    assert publish.main(["--repair", "model@v0.1.0"]) == 0
    assert "withdrew model@v0.1.0" in capsys.readouterr().out
    withdrawn = fake_github.releases[0]
    assert withdrawn["prerelease"] is True
    assert withdrawn["body"].startswith("> **Withdrawn as champion**: this release has ")
    assert publish.main([]) == 0
    assert "published model@v0.1.1" in capsys.readouterr().out
    assert fake_github.releases[-1]["draft"] is False


def test_repair_leaves_a_sound_release_alone(project, fake_github, capsys):
    project(0)
    assert publish.main([]) == 0
    writes = len(fake_github.writes)
    assert publish.main(["--repair", "model@v0.1.0"]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    assert publish.main(["--repair", "model@v9.9.9"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: there is no published release model@v9.9.9 of the model model"
    )
    assert len(fake_github.writes) == writes


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda: Path("params.yaml").write_text("extra: 1\n"), "params.yaml"),
        (lambda: Path("train_helper.py").write_text("x = 1\n"), "train_helper.py"),
        (lambda: Path("pyproject.toml").unlink(), "pyproject.toml"),
    ],
    ids=["edited", "untracked", "deleted"],
)
def test_unreviewed_changes_stop_the_publish(project, fake_github, capsys, change, named):
    project(0)
    change()
    assert publish.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the working tree differs from commit ")
    assert named in err
    assert len(err.strip().splitlines()) == 1
    assert fake_github.log == []


def test_the_pipeline_outputs_may_differ_from_the_commit(project, fake_github, params):
    project(0)
    common.write_json("reports/metrics.json", metrics(params, -1))  # as `dvc repro` rewrites
    with open("models/.gitignore", "w", encoding="utf-8") as ignore:  # as DVC writes it
        ignore.write("/model.joblib\n")
    assert publish.main([]) == 0
    (release,) = fake_github.releases
    (asset,) = [a for a in release["assets"] if a["name"] == "metrics.json"]
    assert json.loads(fake_github.assets[asset["id"]]) == metrics(params, -1)


def test_a_dvc_remote_that_cannot_be_reached_stops_before_any_call(
    project, fake_github, commit, capsys
):
    common.ensure_parent(".dvc/config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = ../no-such-folder\n",
        encoding="utf-8",
    )
    project(0)
    for argv in ([], ["--dry-run"]):
        assert publish.main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: DVC remote 'storage' is the folder ../no-such-folder, ")
        assert "`dvc push` cannot run and nothing is published" in err
    assert fake_github.log == []


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("model@v0.1.0", (0, 1, 0)),
        ("model@v1.12.3", (1, 12, 3)),
        ("model@0.1.0", None),
        ("other@v0.1.0", None),
        ("model@v0.1.0-rc1", None),
        (None, None),
    ],
)
def test_version_of(tag, version):
    assert version_of(tag, "model") == version


def test_next_version():
    assert next_version([]) == (0, 1, 0)
    assert next_version([(0, 1, 0), (0, 1, 9), (0, 1, 10)]) == (0, 1, 11)
    assert next_version([(0, 2, 0), (0, 1, 10)]) == (0, 2, 1)
