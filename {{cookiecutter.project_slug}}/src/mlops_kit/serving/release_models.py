"""The models of a many-models release `models-release-<N>`, each file checked before use.

``open_release(wanted, cache)`` reads the releases once, picks ``wanted`` (`latest`: the
newest public `models-release-<N>`, release/manifest.py) and reads its manifest.json once,
its shape checked (schemas/manifest.schema.json); ``catalog`` makes of it the Catalog that
`serve --models` serves (many_models.py), so `serve --release` serves the same routes.
Nothing is downloaded before a model is first asked for (``Release.fetch``), and nothing is
used before it is checked against git, which a release cannot change (as trust.py checks one
model): the model's version tag `<artifact>@vX.Y.Z` must be in this checkout, at the commit
of the release that holds its files; reports/models.json at that commit (`git show`) must
record for the model the md5 the manifest lists; its model.joblib must have that md5, and
the sha256 the manifest and GitHub's asset digest list. A profile.json (data, read as JSON,
never run) has no md5 in git: GitHub's sha256 digest is checked; the metrics judged are
those reports/models.json records at the tag. A checked download is kept under the cache
folder, `<cache>/<release>/<asset>`, and used again once it checks again.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release import manifest
from mlops_kit.serving import download, many_models, trust

CACHE = "build/released-models"
REFUSE = "not loading it"


def wanted(release: str | None) -> bool:
    """Whether ``release`` names a release of many models: `models-release-<N>`, or
    `latest` in a project of many models (reports/models.json here)."""
    if not release:
        return False
    return bool(manifest.number(release)) or (
        release == "latest" and Path(many_models.MODELS_JSON).is_file()
    )


def find(releases: list[dict[str, Any]], wanted: str, repo: str) -> dict[str, Any]:
    """The release ``wanted`` of ``releases``: `models-release-<N>` (not a draft) or latest."""
    if wanted == "latest":
        found = manifest.latest(releases)
        if found is None:
            raise common.UserError(f"{repo} has no published models-release-<N> yet")
        return found
    if not manifest.number(wanted):
        raise common.UserError(f"--release {wanted[:40]!r}: give models-release-<N>, or latest")
    for release in releases:
        if release.get("tag_name") == wanted and not release.get("draft"):
            return release
    raise common.UserError(f"there is no published release {wanted} in {repo}")


class Release:
    """A release of many models: its manifest, the releases holding its models' files, and
    the files checked so far."""

    def __init__(self, gh: GitHub, release: dict, found: dict, listing: list, cache: str):
        self.gh, self.tag, self.manifest = gh, str(release["tag_name"]), found
        self.models: dict[str, dict[str, Any]] = found["models"]
        self.holding = {str(r.get("tag_name")): r for r in listing if not r.get("draft")}
        self.cache, self.lock = Path(cache), threading.Lock()
        self.recorded: dict[str, dict[str, Any]] = {}  # commit: models.json's models there
        self.checked: dict[str, dict[str, Any]] = {}  # model: its entry there, once checked

    def asset(self, name: str, file: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the release holding the model's files, its asset of ``file``)."""
        entry = self.models[name]
        holding = self.holding.get(entry["release"])
        if holding is None:
            raise common.UserError(
                f"model {many_models.shown(name)}: its files are in {entry['release']}, which "
                f"is not a published release; {REFUSE}"
            )
        return holding, download.entry(holding, f"{entry['folder']}.{file}")

    def size(self, name: str) -> int:
        """The size in bytes of the model's model.joblib, as GitHub lists it."""
        size = self.asset(name, "model.joblib")[1].get("size")
        if not isinstance(size, int) or size < 0:
            raise common.UserError(f"model {many_models.shown(name)}: GitHub lists no size")
        return size

    def trusted(self, name: str) -> dict[str, Any]:
        """The model's entry of reports/models.json at its version tag, once the tag is
        here at the commit of the release holding its files and the entry's md5 is the
        manifest's (checked once per model: tags do not move while this runs)."""
        if name in self.checked:
            return self.checked[name]
        entry = self.models[name]
        tag = entry["tag"]
        holding, _ = self.asset(name, "model.joblib")
        commit = trust.tag_commit(tag)
        trust.same_commit(tag, commit, holding, {}, REFUSE)
        with self.lock:
            if commit not in self.recorded:
                models = trust.recorded(commit, tag, many_models.MODELS_JSON, REFUSE)
                self.recorded[commit] = models
        kept = self.recorded[commit].get(name)
        md5 = kept.get("md5") if isinstance(kept, dict) else None
        if md5 != entry["md5"]:
            said = (
                f"{md5[:12]}..."
                if isinstance(md5, str) and many_models.MD5.fullmatch(md5)
                else "none"
            )
            raise common.UserError(
                f"model {many_models.shown(name)}: {self.tag}'s manifest lists md5 "
                f"{entry['md5'][:12]}..., not what {many_models.MODELS_JSON} records at {tag} "
                f"in git ({said}); {REFUSE}"
            )
        self.checked[name] = kept
        return kept

    def fetch(self, name: str, file: str = "model.joblib") -> tuple[bytes, Path]:
        """The bytes of the model's ``file`` (model.joblib or profile.json) and where they
        are kept, checked: downloaded unless a copy here checks."""
        entry = self.models[name]
        holding, found = self.asset(name, file)
        model = file == "model.joblib"
        md5 = self.trusted(name)["md5"] if model else None
        digests = [download.listed_sha256(found), entry["sha256"] if model else None]
        what = "model" if model else "file"
        where = f"{entry['tag']} ({holding['tag_name']})"
        path = self.cache / str(holding["tag_name"]) / str(found["name"])
        try:
            data = path.read_bytes()
            self.check(where, found["name"], data, digests, md5, what)
            return data, path
        except (OSError, common.UserError):
            pass  # no copy, or one that does not check: downloaded again
        try:
            data = download.asset(self.gh, holding, str(found["name"]))[0]
        except GitHubError as exc:
            raise common.UserError(str(exc)) from None
        self.check(where, found["name"], data, digests, md5, what)
        part = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        common.ensure_parent(part).write_bytes(data)
        os.replace(part, path)
        return data, path

    @staticmethod
    def check(where: str, asset: str, data: bytes, digests: list, md5, what: str) -> None:
        download.published(where, asset, data, digests, what, REFUSE)
        if md5 is not None:
            trust.verify(where, data, md5, asset, what, many_models.MODELS_JSON)

    def catalog(self) -> many_models.Catalog:
        """The catalog the many-models service serves: the manifest's models."""
        keep = ("path", "md5", "metrics", "artifact", "tag", "version", "release", "sha256")
        models = {name: {k: e[k] for k in keep} for name, e in self.models.items()}
        digest = hashlib.md5(manifest.dumps(self.manifest)).hexdigest()
        about = {key: self.manifest.get(key) for key in ("segment_by", "task")}
        report = {"path": f"{self.tag}/{manifest.NAME}", "md5": digest}
        about.update(aggregate=None, report=report, commit=self.manifest["commit"])
        about["release"] = self.tag
        return many_models.Catalog(self.tag, models, {}, about, fetch=self)

    def versions(self) -> dict[str, str]:
        """{model name: its version tag}, of every model the manifest lists."""
        return {name: entry["tag"] for name, entry in self.models.items()}


def open_release(wanted: str, cache: str = CACHE) -> Release:
    """The release ``wanted`` (models-release-<N> or latest), its manifest read and checked."""
    gh = download.client()
    try:
        listing = gh.paginate(f"/repos/{gh.repo}/releases?per_page=100")
        listing = [r for r in listing if isinstance(r, dict) and manifest.number(r.get("tag_name"))]
        release = find(listing, wanted, gh.repo)
        found = manifest.read(gh, release)
    except GitHubError as exc:
        raise common.UserError(str(exc)) from None
    except manifest.Unreadable as exc:
        raise common.UserError(f"{exc}; {REFUSE}") from None
    return Release(gh, release, found, listing, cache)


def serving(wanted: str, suite: str, cache: str = CACHE) -> dict[str, Any]:
    """The state of a service of every model of the release ``wanted``."""
    release = open_release(wanted, cache)
    return {"catalog": release.catalog(), "suite": many_models.read_suite(suite)}
