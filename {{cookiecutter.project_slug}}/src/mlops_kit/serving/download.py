"""Download a published model (a GitHub release `model@vX.Y.Z`) and check it is the one published.

Settings as in GitHub Actions: GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN
(optional for a public repository) and GITHUB_REPOSITORY (else the `origin` remote). The
model's sha256 must equal the digest GitHub lists for the asset (`digest: "sha256:..."`) and
the one lineage.json records; a file that matches neither is refused.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from mlops_kit import common
from mlops_kit.release import stage_tags
from mlops_kit.serving import lineage

TAG = re.compile(r"(?P<name>[\w.-]+)@v(?P<version>\d+\.\d+\.\d+)")
REMOTE = re.compile(r"github\.com[:/](?P<repo>[^/:]+/[^/]+?)(?:\.git)?/?$")


def repository() -> str:
    repo = os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        found = subprocess.run(
            ["git", "remote", "get-url", "origin"], capture_output=True, text=True, check=False
        )
        match = REMOTE.search(found.stdout.strip())
        repo = match["repo"] if match else None
    if not repo:
        raise common.UserError("set GITHUB_REPOSITORY=owner/name (no github.com `origin` remote)")
    return repo


def get(path: str, accept: str = "application/vnd.github+json") -> bytes:
    api = (os.environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    request = urllib.request.Request(path if "://" in path else f"{api}{path}")
    request.add_header("Accept", accept)
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    if os.environ.get("GITHUB_TOKEN"):  # not sent on to the storage host of a redirect
        request.add_unredirected_header("Authorization", f"Bearer {os.environ['GITHUB_TOKEN']}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise common.UserError(f"GET {request.full_url}: HTTP {exc.code} {exc.reason}") from None
    except OSError as exc:
        raise common.UserError(f"GET {request.full_url}: {getattr(exc, 'reason', exc)}") from None


def find(repo: str, wanted: str, name: str = "model") -> dict[str, Any]:
    """The release tagged ``wanted``, or for "latest" the highest `<name>@vX.Y.Z` release
    that is neither a draft nor a pre-release."""
    if wanted != "latest":
        if not TAG.fullmatch(wanted):
            raise common.UserError(
                f"--release {wanted!r}: give a tag like {name}@v1.2.0, or latest"
            )
        return json.loads(get(f"/repos/{repo}/releases/tags/{urllib.parse.quote(wanted)}"))
    releases, page = [], 1
    while batch := json.loads(get(f"/repos/{repo}/releases?per_page=100&page={page}")):
        releases += batch
        page += 1
    found = []
    for release in releases:
        match = TAG.fullmatch(release.get("tag_name") or "")
        published = not release.get("draft") and not release.get("prerelease")
        if match and match["name"] == name and published:
            found.append((tuple(map(int, match["version"].split("."))), release))
    if not found:
        raise common.UserError(f"{repo} has no published {name}@vX.Y.Z release yet")
    return max(found, key=lambda pair: pair[0])[1]


def asset(repo: str, release: dict[str, Any], name: str) -> tuple[bytes, str | None]:
    """The bytes of the release's asset ``name`` and the sha256 GitHub lists for it."""
    entry = next((a for a in release.get("assets") or [] if a.get("name") == name), None)
    if entry is None:
        raise common.UserError(f"release {release['tag_name']} has no asset {name}")
    data = get(f"/repos/{repo}/releases/assets/{entry['id']}", accept="application/octet-stream")
    digest = str(entry.get("digest") or "")
    return data, digest.removeprefix("sha256:") if digest.startswith("sha256:") else None


def for_stage(stage: str, name: str = "model") -> str:
    """The version tag ``stage`` holds, from the stage tags in this checkout (stages.py)."""
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
    """(the model file's bytes, its lineage) of release ``wanted``, once its digest is checked."""
    repo = repository()
    release = find(repo, wanted)
    tag = release["tag_name"]
    model, listed = asset(repo, release, model_asset)
    record, record_digest = asset(repo, release, "lineage.json")
    if record_digest and lineage.digests(record)["sha256"] != record_digest:
        raise common.UserError(f"lineage.json of {tag} does not match its digest; not serving it")
    found = json.loads(record)
    actual = lineage.digests(model)["sha256"]
    expected = [d for d in (listed, (found.get("model") or {}).get("sha256")) if d]
    if not expected:
        raise common.UserError(f"{tag} lists no sha256 digest for {model_asset}; not serving it")
    for digest in expected:
        if digest != actual:
            raise common.UserError(
                f"{model_asset} of {tag} has sha256 {actual[:12]}..., not the published "
                f"{digest[:12]}...: the download is not the published model; not serving it"
            )
    found["release"] = tag
    return model, found
