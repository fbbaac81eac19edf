"""`monitor --release` in a many-models project: a batch checked against the models a
models-release-<N> lists, each model's files downloaded only when the batch has its rows and
checked against git first; and which release the Monitor workflow checks (deployed.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from mlops_kit.monitoring import deployed, monitor
from mlops_kit.reporting.markdown import code
from mlops_kit.segments import names

from kit import many_release
from kit.code.test_monitor import frame
from kit.many_release import (
    GIT_ENV,
    HOSTILE,
    asset,
    downloaded,
    git,
    replace,
)

IN_BATCH = ("store-01", "store-07", HOSTILE)  # not store-02
DRIFTED = ("store-07", HOSTILE)

published, released_models = many_release.published, many_release.released_models


def batch(drifted=DRIFTED) -> pd.DataFrame:
    parts = []
    for i, name in enumerate(IN_BATCH):
        part = frame(60, 2000 + i)
        if name in drifted:
            part["size"] += 6.0
        parts.append(part.assign(store=name))
    return pd.concat(parts, ignore_index=True)


def check(frame_, *args: str) -> int:
    frame_.to_csv("batch.csv", index=False)
    return monitor.main(["--current", "batch.csv", "--out", "out", "--release", "latest", *args])


def test_two_drifted_segments_of_a_release_are_flagged_with_only_their_files_read(
    published, capsys
):
    assert check(batch()) == 1
    result = json.loads((published.root / "out" / "monitor.json").read_text())
    bad = {name for name, found in result["models"].items() if found["status"] == "unhealthy"}
    assert bad == set(DRIFTED)
    assert result["models"]["store-01"]["status"] == "healthy"
    assert result["models"]["store-01"]["metrics"]  # scored against its metrics at the tag
    assert (result["models"]["store-02"]["status"], result["models"]["store-02"]["rows"]) == (
        "too small",
        0,
    )
    inputs = result["inputs"]
    assert (inputs["release"], inputs["commit"]) == ("models-release-1", published.sha)
    assert inputs["versions"]["store-07"] == "store-07@v0.1.0"
    assert len(inputs["versions"]) == 4
    files = {f"{names.folder(n)}.{f}" for n in IN_BATCH for f in ("model.joblib", "profile.json")}
    assert downloaded(published.fake) == {"manifest.json", *files}
    text = (published.root / "out" / "monitor.md").read_text()
    assert "Models: release `models-release-1` at commit" in text
    assert code(HOSTILE) in text
    assert HOSTILE not in text.replace(code(HOSTILE), "")
    assert "unhealthy (models-release-1)" in capsys.readouterr().out


def test_a_tampered_profile_of_a_release_stops_the_check_in_one_line(published, capsys):
    replace(published.fake, asset(published.fake, "store-07", "profile.json"), b"{}")
    found = asset(published.fake, "store-07", "profile.json")
    found["digest"] = "sha256:" + "0" * 64  # GitHub's digest is of what was uploaded
    assert check(batch()) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: model 'store-07': ")
    assert "profile.json of store-07@v0.1.0 (models-release-1) has sha256" in line
    assert not (published.root / "out" / "monitor.json").exists()


def test_the_workflow_checks_the_newest_release_of_models_once_there_is_one(workdir, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    git("init", "-q", "-b", "main")
    (workdir / "reports").mkdir()
    (workdir / "reports" / "models.json").write_text("{}\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-qm", "models")
    assert deployed.choose("deployed")[:2] == ("dvc", "")
    git("tag", "-a", "store-01@v0.1.0", "-m", "Registering artifact store-01 version v0.1.0")
    assert deployed.choose("deployed")[:2] == ("dvc", "")  # a tag, no release made public
    git("tag", "models-release-1")
    git("tag", "models-release-2")
    kind, value, why = deployed.choose("deployed")
    assert (kind, value) == ("release", "latest")
    assert "models-release-2" in why
    assert deployed.choose("models-release-1")[:2] == ("release", "models-release-1")
    assert deployed.choose("latest")[:2] == ("release", "latest")
    git("tag", "-d", "store-01@v0.1.0")
    assert deployed.choose("deployed")[:2] == ("dvc", "")


@pytest.mark.parametrize("given", [["--model", "models/x.joblib"], ["--profile", "p.json"]])
def test_one_model_s_file_and_a_release_of_many_are_refused_together(published, capsys, given):
    assert check(batch(), *given) == 2
    assert "give one or the other" in capsys.readouterr().err
    assert downloaded(published.fake) == set()
