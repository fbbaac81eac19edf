"""A many-models project published for real (release/many.py) on the fake GitHub: a few
real small models with their profiles, committed, released as models-release-1 with a
version tag per model, and the tags GitHub then has fetched into the checkout, as the
workflows' `git fetch --tags` does."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from types import SimpleNamespace

import pandas as pd
import pytest
from fake_github import FakeGitHub
from mlops_kit import common
from mlops_kit.github.client import GitHub
from mlops_kit.release import manifest, many
from mlops_kit.segments import names
from mlops_kit.validation import suite

from kit.ci.conftest import GIT_ENV
from kit.code.test_monitor import MONITOR, RULES, frame
from kit.monitor.test_many_models import HOSTILE, write_list, write_model

REPO = "acme/models"
NAMES = ["store-01", "store-02", "store-07", HOSTILE]


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="session")
def released_models(tmp_path_factory):
    """The models of NAMES (10-tree forests, each on its own segment's data), in the
    contract's layout, and an expectation suite of their columns."""
    from kit.conftest import UNIT_PARAMS

    root = tmp_path_factory.mktemp("released")
    settings = {**UNIT_PARAMS["train"], "model": "random_forest"}
    models = {
        name: write_model(root, name, i % 2, 100 + 3 * i, settings) for i, name in enumerate(NAMES)
    }
    write_list(root, models)
    rows = pd.concat([frame(100, i).assign(store=n) for i, n in enumerate(NAMES)])
    common.write_json(root / "expectations" / "suite.json", suite.build_suite(rows, "raw_data"))
    return root


@pytest.fixture
def published(released_models, workdir, params, set_params, monkeypatch):
    """The project in the working directory, committed and published as models-release-1;
    its tags fetched here. Yields the fake GitHub, the commit and the models' entries."""
    params.update(monitor=dict(MONITOR), compare={"metrics": RULES})
    set_params(params)
    for part in ("models", "reports", "expectations"):
        shutil.copytree(released_models / part, workdir / part)
    common.write_json("reports/validation.json", {"success": True, "rows": 400})
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "four models")
    sha = git("rev-parse", "HEAD")
    with FakeGitHub(REPO) as fake:
        for key, value in {"API_URL": fake.url, "TOKEN": "test-token", "REPOSITORY": REPO}.items():
            monkeypatch.setenv(f"GITHUB_{key}", value)
        monkeypatch.setenv("GITHUB_API_RETRY_DELAY", "0")
        assert many.publish(GitHub(), sha, False, lambda: 0) == 0
        fetch_tags(fake)
        listed = common.read_json("reports/models.json")["models"]
        yield SimpleNamespace(fake=fake, sha=sha, models=listed, root=workdir)


def fetch_tags(fake) -> None:
    """The tags GitHub has, made here: annotated ones as such (`git fetch --tags`)."""
    for ref, sha in fake.refs.items():
        name = ref.removeprefix("refs/tags/")
        if sha in fake.tags:
            found = fake.tags[sha]
            git("tag", "-a", name, "-m", found["message"], found["object"]["sha"])
        else:
            git("tag", name, sha)


def asset(fake, name: str, file: str = "model.joblib") -> dict:
    """The asset of the model ``name``'s ``file`` in models-release-1."""
    (release,) = [r for r in fake.releases if r["tag_name"] == "models-release-1"]
    wanted = manifest.NAME if name == manifest.NAME else f"{names.folder(name)}.{file}"
    (found,) = [a for a in release["assets"] if a["name"] == wanted]
    return found


def replace(fake, found: dict, data: bytes) -> None:
    """Replace an asset's bytes and GitHub's digest and size of it, as an editor can."""
    fake.assets[found["id"]] = data
    found.update(size=len(data), digest="sha256:" + hashlib.sha256(data).hexdigest())


def downloaded(fake) -> set[str]:
    """The names of the assets downloaded so far."""
    return {a["name"] for r in fake.releases for a in r["assets"] if a["download_count"]}


def read_manifest(fake) -> dict:
    return json.loads(fake.assets[asset(fake, manifest.NAME)["id"]])
