"""`monitor --release/--stage` against a local stand-in for GitHub's releases API (the one
of serve's tests): the released model, profile and metrics are checked against git's dvc.lock
at the release's tag before anything reads them, whatever the working tree holds; and which
model the Monitor workflow checks (deployed.py), from the tags alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import joblib
import pytest
import yaml
from mlops_kit.evaluation import predictions
from mlops_kit.monitoring import deployed, monitor, reference

from kit.code.test_monitor import frame, make_project
from kit.serve import test_release as serving

checkout, github, sha256 = serving.checkout, serving.github, serving.sha256  # serve's fixtures

FILES = {
    "model.joblib": "models/model.joblib",
    "profile.json": "reports/profile.json",
    "metrics.json": "reports/metrics.json",
}


@pytest.fixture
def project(workdir, params, set_params, quick_train):
    return make_project(workdir, params, set_params, quick_train, "classification")


@pytest.fixture
def publish(project, github, checkout):
    """Publish the working tree's model, profile and metrics as ``tag``: a commit whose
    dvc.lock records their md5s (as `dvc repro` writes it), tagged, and the release."""

    def made(tag: str, *, assets: tuple[str, ...] = tuple(FILES)) -> dict:
        files = {name: Path(path).read_bytes() for name, path in FILES.items()}
        outs = [
            {"path": path, "hash": "md5", "md5": hashlib.md5(files[name]).hexdigest()}
            for name, path in FILES.items()
        ]
        stages = {"train": {"cmd": "train", "outs": outs[:1]}}
        stages["evaluate"] = {"cmd": "evaluate", "outs": outs[1:]}
        Path("dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))
        checkout("add", "dvc.lock")
        checkout("commit", "-q", "-m", f"Model of {tag}")
        checkout("tag", "-a", tag, "-m", tag)
        sha = checkout("rev-parse", "HEAD")
        record = {"release": None, "commit": sha}
        record["model"] = {"sha256": sha256(files["model.joblib"])}
        record["profile"] = {"path": FILES["profile.json"], "sha256": sha256(files["profile.json"])}
        release = {"tag_name": tag, "draft": False, "prerelease": False, "assets": []}
        release["target_commitish"] = sha
        github.releases.append(release)
        for name in assets:
            github.attach(release, name, files[name])
        github.attach(release, "lineage.json", json.dumps(record).encode())
        return release

    return made


def check(*args: str) -> int:
    return monitor.main(["--current", "batch.csv", "--out", "out", *args])


def one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.startswith("error: "), captured
    assert captured.err.count("\n") == 1, captured.err
    return captured.err


def test_the_released_model_is_checked_whatever_the_working_tree_holds(
    project, publish, checkout, capsys, monkeypatch, tmp_path
):
    publish("model@v0.1.0")
    sha = checkout("rev-parse", "HEAD")
    frame(300, 3).to_csv("batch.csv", index=False)
    # the working tree moves on: another model, a profile of nothing
    joblib.dump({"not": "a model"}, "models/model.joblib")
    Path("reports/profile.json").write_text("{}", encoding="utf-8")
    assert check() == 2
    assert "reports/profile.json is not a profile" in one_line(capsys)

    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    assert check("--release", "model@v0.1.0") == 0
    assert capsys.readouterr().out.startswith("monitor: healthy (model@v0.1.0): ")
    result = json.loads(Path("out/monitor.json").read_text(encoding="utf-8"))
    assert result["inputs"] == {
        "release": "model@v0.1.0",
        "stage": None,
        "commit": sha,
        "model": "model@v0.1.0/model.joblib",
        "profile": "model@v0.1.0/profile.json",
        "metrics": "model@v0.1.0/metrics.json",
    }
    assert [m["metric"] for m in result["metrics"]] == ["balanced_accuracy"]
    text = Path("out/monitor.md").read_text(encoding="utf-8")
    assert f"Model: release `model@v0.1.0` at commit `{sha[:7]}`, its files checked" in text
    assert list(temporary.iterdir()) == []  # the downloads went with the check

    checkout("tag", "-a", "model#production#1", "-m", "promote", "model@v0.1.0^{commit}")
    batch = frame(300, 4)
    batch["size"] += 6.0
    batch.to_csv("batch.csv", index=False)
    assert check("--stage", "production") == 1
    assert "monitor: unhealthy (model@v0.1.0): " in capsys.readouterr().out
    result = json.loads(Path("out/monitor.json").read_text(encoding="utf-8"))
    inputs = result["inputs"]
    assert (inputs["release"], inputs["stage"]) == ("model@v0.1.0", "production")
    assert "which `production` holds" in Path("out/monitor.md").read_text(encoding="utf-8")
    assert check("--release", "latest", "--model", "models/model.joblib") == 2
    assert "--model name files here, and --release downloads them" in one_line(capsys)


def test_a_tampered_profile_is_refused_before_anything_is_read(
    project, publish, github, capsys, monkeypatch
):
    release = publish("model@v0.1.0")
    frame(300, 3).to_csv("batch.csv", index=False)
    assert check("--release", "latest") == 0
    capsys.readouterr()
    # whoever can edit the release's assets replaces the profile, its digest and lineage's
    built = json.loads(Path("reports/profile.json").read_text(encoding="utf-8"))
    built["features"]["size"]["std"] *= 100  # no drift would ever be seen in size
    tampered = json.dumps(built).encode()
    record = json.loads(github.files[max(github.files)])
    record["profile"]["sha256"] = sha256(tampered)
    github.attach(release, "profile.json", tampered)
    github.attach(release, "lineage.json", json.dumps(record).encode())
    read = []
    monkeypatch.setattr(predictions, "load_model", lambda *a: read.append(a))
    monkeypatch.setattr(reference, "read_profile", lambda *a: read.append(a))
    assert check("--release", "model@v0.1.0") == 2
    error = one_line(capsys)
    assert error.startswith("error: profile.json of model@v0.1.0 has md5 ")
    assert "that dvc.lock records at model@v0.1.0 in git: not the released file" in error
    assert read == []
    assert not Path("out/monitor.json").exists()  # the earlier report went too

    github.files[max(github.files)] = b"{}"  # lineage.json changed on the way
    assert check("--release", "model@v0.1.0") == 2
    assert "lineage.json of model@v0.1.0 does not match its digest; not monitoring" in (
        one_line(capsys)
    )


def test_a_release_without_profile_json_is_one_line_before_any_download(
    project, publish, github, capsys
):
    publish("model@v0.1.0", assets=("model.joblib", "metrics.json"))
    frame(300, 3).to_csv("batch.csv", index=False)
    assert check("--release", "model@v0.1.0") == 2
    assert one_line(capsys) == (
        "error: release model@v0.1.0 has no profile.json (it was published before releases "
        "carried the reference profile): publish it again from its commit (the publish adds "
        "what a release lacks), or monitor the model of the DVC remote with --model and "
        "--profile\n"
    )
    assert [path for path, _ in github.seen if "download" in path or "assets" in path] == []
    assert check("--stage", "production") == 2
    assert "--stage production: no model#production#N tag here holds a version" in (
        one_line(capsys)
    )


def test_the_workflow_checks_production_else_the_newest_release_else_the_dvc_remote(checkout):
    assert deployed.choose("deployed")[:2] == ("dvc", "")
    Path("file").write_text("x")
    checkout("add", "file")
    checkout("commit", "-q", "-m", "first")
    checkout("tag", "-a", "model@v0.1.0", "-m", "v0.1.0")
    assert deployed.choose("deployed")[:2] == ("release", "latest")
    checkout("tag", "-a", "model#production#1", "-m", "promote")
    kind, value, why = deployed.choose("deployed")
    assert (kind, value) == ("stage", "production")
    assert why == "model@v0.1.0, which production holds (model#production#1)"
    checkout("tag", "-a", "model#production!#2", "-m", "unassign")
    assert deployed.choose("deployed")[:2] == ("release", "latest")
    assert deployed.choose("staging")[:2] == ("stage", "staging")
    assert deployed.choose("model@v0.1.0")[:2] == ("release", "model@v0.1.0")
    assert deployed.choose("dvc")[:2] == ("dvc", "")
    with pytest.raises(ValueError, match="give deployed, a stage"):
        deployed.choose("$(rm -rf /)")


def test_the_choice_goes_to_github_output(checkout, tmp_path, monkeypatch, capsys):
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert deployed.main([]) == 0
    assert output.read_text().splitlines() == ["kind=dvc", "value="]
    assert "there is no model@vX.Y.Z release yet" in capsys.readouterr().out
    assert deployed.main(["--want", "a\nkind=dvc"]) == 2
    assert capsys.readouterr().out.startswith("::error::model 'a\\nkind=dvc': give deployed")
    assert output.read_text().splitlines() == ["kind=dvc", "value="]
