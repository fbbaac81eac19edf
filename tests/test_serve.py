"""Slow tier: a generated project publishes its model to the fake GitHub, and its model
service serves that release (`--release`), tied to its commit and data; a download that
does not match the published digest is refused, and so is one whose release was edited to
hold another model with its digests (checked against dvc.lock at the tag in git), before it
is loaded."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from test_workflows import CiProject

pytestmark = pytest.mark.slow


def test_the_released_model_is_served_with_its_lineage_and_a_tampered_one_refused(tmp_path):
    ci = CiProject(tmp_path)
    try:
        ci.use_folder_remote()
        ci.commit_baseline()
        ci.push("main")
        python = ci.root / ".venv" / "bin" / "python"
        ci.env.update(
            GITHUB_API_URL=ci.fake.url,
            GITHUB_TOKEN="dummy",
            GITHUB_REPOSITORY=ci.repo,
            GITHUB_API_RETRY_DELAY="0",
        )
        published = ci.run(python, "-m", "mlops_kit.release.publish")
        assert published.returncode == 0, published.stdout + published.stderr
        head = ci.git("rev-parse", "HEAD")
        missing = ci.run(python, "-m", "mlops_kit.serving.serve", "--release", "latest")
        assert missing.returncode == 2
        assert missing.stderr == (
            "error: tag model@v0.1.0 is not in this checkout, so its model cannot be checked "
            "against git; `git fetch --tags` and run again\n"
        )
        ci.git("fetch", "-q", "--tags", "origin")  # the tag Publish made through the API

        command = [python, "-m", "mlops_kit.serving.serve", "--release", "latest", "--port", "0"]
        with subprocess.Popen(
            command,
            cwd=ci.root,
            env=ci.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as service:
            try:
                first = service.stdout.readline()
                assert first.startswith("serve: model@v0.1.0 on http://127.0.0.1:"), (
                    first + service.stderr.read()
                )
                url = first.split(" on ", 1)[1].split()[0]
                with urllib.request.urlopen(f"{url}/metadata", timeout=30) as response:
                    about = json.loads(response.read())
            finally:
                service.terminate()
        lock = yaml.safe_load((ci.root / "dvc.lock").read_text(encoding="utf-8"))
        train_data = lock["stages"]["train"]["deps"][0]
        assert (about["release"], about["commit"]) == ("model@v0.1.0", head)
        assert about["training_data"][0]["path"] == train_data["path"]
        assert about["training_data"][0]["md5"] == train_data["md5"]
        assert about["model"]["matches_dvc_lock"] is True
        assert about["validation"]["success"] is True

        (release,) = ci.fake.releases
        assets = {a["name"]: a for a in release["assets"]}
        published_model = ci.fake.assets[assets["model.joblib"]["id"]]
        ci.fake.assets[assets["model.joblib"]["id"]] = b"not the published model"
        refused = ci.run(python, "-m", "mlops_kit.serving.serve", "--release", "model@v0.1.0")
        assert refused.returncode == 2
        assert "the download is not the published model; not serving it" in refused.stderr

        # whoever may edit the release swaps in a model whose loading runs code, and both
        # digests the release carries (GitHub's and lineage.json's) with it
        marker = tmp_path / "payload-ran"
        evil = pickle.dumps(Touch(marker))
        record = json.loads(ci.fake.assets[assets["lineage.json"]["id"]])
        record["model"]["sha256"] = hashlib.sha256(evil).hexdigest()
        lineage = json.dumps(record).encode()
        for name, data in (("model.joblib", evil), ("lineage.json", lineage)):
            ci.fake.assets[assets[name]["id"]] = data
            assets[name].update(size=len(data), digest=f"sha256:{hashlib.sha256(data).hexdigest()}")
        refused = ci.run(python, "-m", "mlops_kit.serving.serve", "--release", "model@v0.1.0")
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith("error: model.joblib of model@v0.1.0 has md5 ")
        assert refused.stderr.endswith(
            "that dvc.lock records at model@v0.1.0 in git: not the released model; not loading it\n"
        )
        assert not marker.exists()
        assert published_model != evil
        pickle.loads(evil)  # the control: loading it does run its code
        assert marker.exists()
    finally:
        ci.close()


class Touch:
    """A model file's stand-in whose unpickling creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))
