"""Download a published model (a GitHub release `model@vX.Y.Z`) and check it is the one published.

Settings as in GitHub Actions: GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN
(optional for a public repository) and GITHUB_REPOSITORY (else the `origin` remote).

Loading a model file runs code from it (joblib is pickle), so nothing is loaded before the
download is checked against git, which its release cannot change (trust.py): its md5 must be
the one dvc.lock records for `models/model.joblib` at the release's tag, resolved in this
checkout, and the release's target commit and lineage.json's commit, when given, must be the
tag's. The release's own sha256 digests (GitHub's `digest` of the asset and lineage.json's)
are checked as well, first.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from mlops_kit import common
from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release import stage_tags
from mlops_kit.release.versions import version_of
from mlops_kit.serving import lineage, trust

TAG = re.compile(r"[\w.-]+@v\d+\.\d+\.\d+")


def client() -> GitHub:
    """The GitHub client of the environment's settings (the one the workflows use)."""
    try:
        return GitHub()
    except GitHubError as exc:
        raise common.UserError(str(exc)) from None


def find(gh: GitHub, wanted: str, name: str = "model") -> dict[str, Any]:
    """The release tagged ``wanted``, or for "latest" the highest `<name>@vX.Y.Z` release
    that is neither a draft nor a pre-release."""
    if wanted != "latest":
        if not TAG.fullmatch(wanted):
            raise common.UserError(
                f"--release {wanted!r}: give a tag like {name}@v1.2.0, or latest"
            )
        return gh.get(f"/repos/{gh.repo}/releases/tags/{urllib.parse.quote(wanted)}")
    found = []
    for release in gh.paginate(f"/repos/{gh.repo}/releases?per_page=100"):
        if not isinstance(release, dict):
            continue
        version = version_of(release.get("tag_name"), name)
        if version and not release.get("draft") and not release.get("prerelease"):
            found.append((version, release))
    if not found:
        raise common.UserError(f"{gh.repo} has no published {name}@vX.Y.Z release yet")
    return max(found, key=lambda pair: pair[0])[1]


def asset(gh: GitHub, release: dict[str, Any], name: str) -> tuple[bytes, str | None]:
    """The bytes of the release's asset ``name`` and the sha256 GitHub lists for it."""
    assets = release.get("assets") if isinstance(release.get("assets"), list) else []
    entry = next((a for a in assets if isinstance(a, dict) and a.get("name") == name), None)
    if entry is None:
        raise common.UserError(f"release {release['tag_name']} has no asset {name}")
    data = gh.download_asset(int(entry.get("id") or 0))
    digest = str(entry.get("digest") or "")
    return data, digest.removeprefix("sha256:") if digest.startswith("sha256:") else None


def for_stage(stage: str, name: str = "model") -> str:
    """The version tag ``stage`` holds, from the stage tags in this checkout (stage_tags)."""
    try:
        found = stage_tags.resolve(stage, name)
    except OSError as exc:
        raise common.UserError(f"--stage {stage}: {exc}") from None
    if found is None:
        raise common.UserError(
            f"--stage {stage}: no {name}#{stage}#N tag here holds a version; promote one "
            f"(Actions > Promote), or `git fetch --tags` to see the latest promotions"
        )
    if found.version is None:
        raise common.UserError(
            f"--stage {stage}: {found.tag} is on commit {found.commit[:7]}, which has no "
            f"{name}@vX.Y.Z tag here; `git fetch --tags`"
        )
    return found.version


def fetch(wanted: str, model_asset: str = "model.joblib") -> tuple[bytes, dict[str, Any]]:
    """(the model file's bytes, its lineage) of release ``wanted``, once checked against git
    and against the release's digests. Raises UserError, and then nothing was loaded."""
    gh = client()
    try:
        release = find(gh, wanted)
        tag = release.get("tag_name") if isinstance(release, dict) else None
        if not isinstance(tag, str) or not TAG.fullmatch(tag):
            raise common.UserError(f"release {wanted[:40]!r} has no tag name like model@v1.2.0")
        commit = trust.tag_commit(tag)  # before any download: git is what the model must match
        locked = trust.locked_md5(commit, tag)
        model, listed = asset(gh, release, model_asset)
        record, record_digest = asset(gh, release, "lineage.json")
    except GitHubError as exc:
        raise common.UserError(str(exc)) from None
    if record_digest and lineage.digests(record)["sha256"] != record_digest:
        raise common.UserError(f"lineage.json of {tag} does not match its digest; not serving it")
    try:
        found = json.loads(record)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("model") or {}, dict):
        raise common.UserError(f"lineage.json of {tag} is not a lineage record; not serving it")
    trust.same_commit(tag, commit, release, found)
    actual = lineage.digests(model)["sha256"]
    expected = [d for d in (listed, (found.get("model") or {}).get("sha256")) if d]
    if not expected:
        raise common.UserError(f"{tag} lists no sha256 digest for {model_asset}; not serving it")
    for digest in expected:
        if digest != actual:
            raise common.UserError(
                f"{model_asset} of {tag} has sha256 {actual[:12]}..., not the published "
                f"{str(digest)[:12]}...: the download is not the published model; not serving it"
            )
    trust.verify(tag, model, locked, model_asset)
    found["release"] = tag
    return model, found
