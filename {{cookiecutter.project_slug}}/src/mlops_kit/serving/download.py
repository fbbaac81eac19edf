"""Download a published model (a GitHub release `model@vX.Y.Z`) and check it is the one published.

`fetch` gets the model (serve); `fetch_all` gets several of a release's files at once, each
checked the same way (monitor: the model, profile.json and metrics.json).

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


class Missing(common.UserError):
    """The release has no asset of that name (one published before it carried it)."""

    def __init__(self, tag: str, name: str):
        super().__init__(f"release {tag} has no asset {name}")
        self.tag, self.name = tag, name


def entry(release: dict[str, Any], name: str) -> dict[str, Any]:
    """The release's asset ``name`` as GitHub lists it; Missing when it has none."""
    assets = release.get("assets") if isinstance(release.get("assets"), list) else []
    found = next((a for a in assets if isinstance(a, dict) and a.get("name") == name), None)
    if found is None:
        raise Missing(str(release["tag_name"]), name)
    return found


def listed_sha256(found: dict[str, Any]) -> str | None:
    """The sha256 GitHub lists for an asset (its ``digest``), or None."""
    digest = str(found.get("digest") or "")
    return digest.removeprefix("sha256:") if digest.startswith("sha256:") else None


def asset(gh: GitHub, release: dict[str, Any], name: str) -> tuple[bytes, str | None]:
    """The bytes of the release's asset ``name`` and the sha256 GitHub lists for it."""
    found = entry(release, name)
    return gh.download_asset(int(found.get("id") or 0)), listed_sha256(found)


def published(
    tag: str, name: str, data: bytes, digests: list, what: str, refuse: str = "not serving it"
) -> None:
    """Refuse ``data`` unless its sha256 is each of ``digests`` given (None: not given),
    and at least one is."""
    actual = lineage.digests(data)["sha256"]
    expected = [digest for digest in digests if digest]
    if not expected:
        raise common.UserError(f"{tag} lists no sha256 digest for {name}; {refuse}")
    for digest in expected:
        if digest != actual:
            raise common.UserError(
                f"{name} of {tag} has sha256 {actual[:12]}..., not the published "
                f"{str(digest)[:12]}...: the download is not the published {what}; {refuse}"
            )


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
    files, record = fetch_all(wanted, {model_asset: trust.MODEL_PATH})
    return files[model_asset], record


# lineage.json's entry with the sha256 of an asset other than the model (the first one)
RECORDED = {"profile.json": "profile"}


def fetch_all(
    wanted: str, files: dict[str, str], refuse: str = "not serving it"
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """({asset: its bytes}, the lineage) of release ``wanted``; ``files`` maps each asset
    to its path in dvc.lock, the model first. Each is checked against the md5
    dvc.lock records at the release's tag in git and against the release's sha256 digests;
    any that fails raises UserError (``refuse`` ends its line), and then none is returned."""
    gh = client()
    try:
        release = find(gh, wanted)
        tag = release.get("tag_name") if isinstance(release, dict) else None
        if not isinstance(tag, str) or not TAG.fullmatch(tag):
            raise common.UserError(f"release {wanted[:40]!r} has no tag name like model@v1.2.0")
        commit = trust.tag_commit(tag)  # before any download: git is what the files must match
        locked = trust.locked_md5s(commit, tag, list(files.values()), refuse)
        for name in [*files, "lineage.json"]:
            entry(release, name)  # every asset there, before any download
        downloads = {name: asset(gh, release, name) for name in files}
        record, record_digest = asset(gh, release, "lineage.json")
    except GitHubError as exc:
        raise common.UserError(str(exc)) from None
    if record_digest and lineage.digests(record)["sha256"] != record_digest:
        raise common.UserError(f"lineage.json of {tag} does not match its digest; {refuse}")
    try:
        found = json.loads(record)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("model") or {}, dict):
        raise common.UserError(f"lineage.json of {tag} is not a lineage record; {refuse}")
    trust.same_commit(tag, commit, release, found, refuse)
    for number, (name, (data, listed)) in enumerate(downloads.items()):
        what = "model" if number == 0 else "file"
        kept = found.get("model" if number == 0 else RECORDED.get(name, ""))
        recorded = kept.get("sha256") if isinstance(kept, dict) else None
        published(tag, name, data, [listed, recorded], what, refuse)
        trust.verify(tag, data, locked[files[name]], name, what)
    found["release"] = tag
    return {name: data for name, (data, _) in downloads.items()}, found
