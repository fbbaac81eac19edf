"""Slow tier: a generated project publishes its model to the fake GitHub, and its model
service serves that release (`--release`), tied to its commit and data; a download that
does not match the published digest is refused."""

from __future__ import annotations

import json
import subprocess
import urllib.request

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
        model = next(a for a in release["assets"] if a["name"] == "model.joblib")
        ci.fake.assets[model["id"]] = b"not the published model"
        refused = ci.run(python, "-m", "mlops_kit.serving.serve", "--release", "model@v0.1.0")
        assert refused.returncode == 2
        assert "the download is not the published model; not serving it" in refused.stderr
    finally:
        ci.close()
