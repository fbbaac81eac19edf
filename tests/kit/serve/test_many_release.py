"""`serve --release` in a many-models project: the models a models-release-<N> lists, served
as `--models` serves them, each downloaded on its first request and checked against git (the
md5 reports/models.json records at its version tag) and the sha256 digests before it loads."""

from __future__ import annotations

import hashlib
import json
import pathlib
import pickle

import joblib
import pytest
from mlops_kit.segments import names

from kit import many_release
from kit.code.test_monitor import frame
from kit.many_release import (
    HOSTILE,
    asset,
    downloaded,
    git,
    read_manifest,
    replace,
)

from .conftest import Service
from .test_many_models import at, get_status, serve
from .test_service import get, post, records

published, released_models = many_release.published, many_release.released_models


class Unpickled:
    """A pickle that, loaded, touches ``marker``: the code a model file can run."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def start(project, cache, *args: str) -> Service:
    return Service(project.root, "--release", "latest", "--port", "0", "--cache", str(cache), *args)


def rows():
    return frame(12, 5).drop(columns="label")


def predicted(project, name: str) -> list:
    model = joblib.load(project.root / project.models[name]["path"] / "model.joblib")
    return model.predict(rows()).tolist()


def test_two_models_asked_for_are_the_two_downloaded_and_named_by_version(published, tmp_path):
    cache = tmp_path / "cache"
    running = start(published, cache)
    try:
        for name in ("store-07", HOSTILE):
            status, answer = post(running.url, {"dataframe_records": records(rows())}, at(name))
            assert (status, answer) == (200, {"predictions": predicted(published, name)})
        folders = [names.folder(name) for name in ("store-07", HOSTILE)]
        assert downloaded(published.fake) == {
            "manifest.json",
            *(f"{folder}.model.joblib" for folder in folders),
        }
        about = get(running.url, at(HOSTILE, "metadata"))
        tag = read_manifest(published.fake)["models"][HOSTILE]["tag"]
        assert (about["name"], about["tag"], about["version"]) == (HOSTILE, tag, "v0.1.0")
        assert about["release"] == "models-release-1"
        assert about["md5"] == published.models[HOSTILE]["md5"]
        service = get(running.url, "/metadata")
        assert (service["release"], service["commit"], service["models"]) == (
            "models-release-1",
            published.sha,
            4,
        )
        status, answer = get_status(running.url, at("store-99", "metadata"))
        assert (status, answer["error_code"]) == (404, "NOT_FOUND")
        assert get(running.url, "/health")["models"]["loads"] == 2
    finally:
        running.stop()
    assert sorted(p.name for p in cache.rglob("*.joblib")) == sorted(
        f"{folder}.model.joblib" for folder in folders
    )
    again = start(published, cache)  # a checked download is used again, not fetched
    try:
        status, _ = post(again.url, {"dataframe_records": records(rows())}, at("store-07"))
        assert status == 200
    finally:
        again.stop()
    assert asset(published.fake, "store-07")["download_count"] == 1


def tamper_asset(project, evil: bytes) -> str:
    replace(project.fake, asset(project.fake, "store-02"), evil)
    return "sha256"


def tamper_manifest_too(project, evil: bytes) -> str:
    """The model and the manifest replaced together: only git can tell."""
    replace(project.fake, asset(project.fake, "store-02"), evil)
    found = read_manifest(project.fake)
    entry = found["models"]["store-02"]
    entry.update(sha256=hashlib.sha256(evil).hexdigest(), md5=hashlib.md5(evil).hexdigest())
    text = (json.dumps(found, indent=2, sort_keys=True) + "\n").encode()
    replace(project.fake, asset(project.fake, "manifest.json"), text)
    return "reports/models.json records at store-02@v0.1.0 in git"


def tag_missing(project, evil: bytes) -> str:
    git("tag", "-d", "store-02@v0.1.0")
    return "tag store-02@v0.1.0 is not in this checkout"


def tag_elsewhere(project, evil: bytes) -> str:
    """The model's tag here on a commit that is not its release's."""
    git("commit", "-q", "--allow-empty", "-m", "another commit")
    git("tag", "-f", "-a", "store-02@v0.1.0", "-m", "moved")
    return f"target_commitish {project.sha[:7]} is not "


@pytest.mark.parametrize("damage", [tamper_asset, tamper_manifest_too, tag_missing, tag_elsewhere])
def test_a_model_not_the_released_one_is_refused_and_never_unpickled(published, tmp_path, damage):
    marker = tmp_path / "unpickled"
    says = damage(published, pickle.dumps(Unpickled(marker)))
    running = start(published, tmp_path / "cache")
    try:
        status, answer = post(running.url, {"dataframe_records": records(rows())}, at("store-02"))
        assert (status, answer["error_code"]) == (503, "MODEL_UNAVAILABLE")
        assert says in answer["message"]
        assert "\n" not in answer["message"]
        assert not marker.exists()
        assert get(running.url, "/health")["models"]["loads"] == 0
        assert post(running.url, {"dataframe_records": records(rows())}, at("store-07"))[0] == 200
    finally:
        running.stop()
    assert not list((tmp_path / "cache").rglob(f"{names.folder('store-02')}.*"))


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (b"<html>not json", "that is not a format-1 manifest"),
        (b'{"format": 1, "models": {"x": {}}}', "that is not its manifest: its release"),
    ],
)
def test_a_bad_manifest_stops_the_start_in_one_line(published, manifest, says):
    replace(published.fake, asset(published.fake, "manifest.json"), manifest)
    done = serve(published.root, "--release", "models-release-1")
    assert (done.returncode, done.stderr.count("\n")) == (2, 1), done.stderr
    assert done.stderr.startswith("error: models-release-1 has a manifest.json ")
    assert says in done.stderr
    assert downloaded(published.fake) == {"manifest.json"}
