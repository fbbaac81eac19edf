"""The manifest of a many-models release: every current model, its version and its files.

`manifest.json`, an asset of each release `models-release-<N>`, lists every model published
so far and still in models.json (not only the ones that release holds): each model's
artifact name and version tag, the release whose assets are its current version, those
assets, the sha256 and md5 of its model.joblib, its metrics and `data` (the hash of its
training rows, from models.json). The
newest public release's manifest is therefore the whole registry in one download; a model's
files are `<folder>.model.joblib`, `<folder>.metrics.json` and `<folder>.profile.json`.
Its shape: schemas/manifest.schema.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mlops_kit.github.client import GitHub
from mlops_kit.segments import names

FORMAT = 1
NAME = "manifest.json"
RELEASE = re.compile(r"models-release-([1-9][0-9]*)")
GTO_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
FILES = ("model.joblib", "metrics.json", "profile.json")
# the text fields of a manifest's model entry, as schemas/manifest.schema.json has them
FIELDS = {
    "folder": r"[a-z0-9][a-z0-9._-]*",
    "path": r"models/shard-[0-9]+/[a-z0-9][a-z0-9._-]*",
    "artifact": GTO_NAME.pattern,
    "version": r"v[0-9]+\.[0-9]+\.[0-9]+",
    "release": RELEASE.pattern,
    "sha256": r"[0-9a-f]{64}",
    "md5": r"[0-9a-f]{32}",
}


def artifact(name: str) -> str:
    """The model's name in its git tags (GTO's `[a-z0-9]([a-z0-9-]*[a-z0-9])?`): its folder
    when that is one, else a slug of the name and 8 hex digits of its SHA-256."""
    folder = names.folder(name)
    if GTO_NAME.fullmatch(folder):
        return folder
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "segment"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def number(tag: str | None) -> int | None:
    """N of `models-release-N`, else None."""
    match = RELEASE.fullmatch(tag or "")
    return int(match[1]) if match else None


def latest(releases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest `models-release-<N>` of ``releases`` that is neither a draft nor a
    pre-release (the highest N)."""
    public = [
        r
        for r in releases
        if isinstance(r, dict) and number(r.get("tag_name"))
        if not r.get("draft") and not r.get("prerelease")
    ]
    return max(public, key=lambda r: number(r["tag_name"]), default=None)


def asset_names(folder: str) -> dict[str, str]:
    """{file in the model's folder: its asset name}."""
    return {file: f"{folder}.{file}" for file in FILES}


def files(entry: dict[str, Any]) -> dict[str, Path]:
    """{asset name: file} of one model of models.json, in its folder."""
    folder = Path(entry["path"])
    return {asset: folder / file for file, asset in asset_names(folder.name).items()}


class Files(Mapping[str, bytes]):
    """{asset name: bytes}, each file read when asked for, so that a release's 900 files
    need not fit in memory together."""

    def __init__(self, found: dict[str, Path | bytes]):
        self.found = found

    def __getitem__(self, name: str) -> bytes:
        value = self.found[name]
        return value if isinstance(value, bytes) else value.read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.found)

    def __len__(self) -> int:
        return len(self.found)


def entry(name: str, listed: dict[str, Any], tag: str, release: str) -> dict[str, Any]:
    """The manifest's record of the model ``name`` (its models.json entry ``listed``),
    released in ``release`` as the version tag ``tag``."""
    folder = Path(listed["path"])
    model = (folder / "model.joblib").read_bytes()
    return {
        "name": name,
        "folder": folder.name,
        "path": folder.as_posix(),
        "artifact": tag.split("@", 1)[0],
        "version": tag.split("@", 1)[1],
        "tag": tag,
        "release": release,
        "assets": sorted(asset_names(folder.name).values()),
        "sha256": hashlib.sha256(model).hexdigest(),
        "md5": hashlib.md5(model).hexdigest(),
        "metrics": listed.get("metrics") or {},
        "data": listed.get("data"),
    }


def build(
    release: str, sha: str, listing: dict[str, Any], before: dict[str, Any], made: dict[str, Any]
) -> dict[str, Any]:
    """The manifest of ``release``: the models of ``before`` (the last manifest's) with
    those of ``made`` (this release's) laid over them, but those ``listing`` (models.json)
    no longer has: it lists the current models only."""
    current = {n: e for n, e in {**before, **made}.items() if n in listing["models"]}
    return {
        "format": FORMAT,
        "release": release,
        "commit": sha,
        "segment_by": listing["segment_by"],
        "task": listing["task"],
        "models": dict(sorted(current.items())),
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


class Unreadable(Exception):
    """The release's manifest is missing or not a manifest; the message says which."""


def read(gh: GitHub, release: dict[str, Any]) -> dict[str, Any]:
    """The manifest.json of a release; raises Unreadable when it is missing or malformed."""
    asset = next((a for a in release.get("assets") or [] if a["name"] == NAME), None)
    if asset is None:
        raise Unreadable(f"{release['tag_name']} has no {NAME}")
    try:
        found = json.loads(gh.download_asset(asset["id"]))
    except (ValueError, UnicodeDecodeError):
        found = None
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise Unreadable(f"{release['tag_name']} has a {NAME} that is not a format-1 manifest")
    if not isinstance(found.get("models"), dict):
        raise Unreadable(f"{release['tag_name']} has a {NAME} without its models")
    fault = fault_of(found, release["tag_name"])
    if fault:
        raise Unreadable(f"{release['tag_name']} has a {NAME} that is not its manifest: {fault}")
    return found


def fault_of(found: dict[str, Any], tag: str) -> str | None:
    """What in a manifest read from release ``tag`` is not of its schema's shape, or None."""
    top = found.get("release") == tag and re.fullmatch(r"[0-9a-f]{40}", str(found.get("commit")))
    if not top or found.get("task") not in ("classification", "regression"):
        return "its release, commit or task is not the release's"
    if not isinstance(found.get("segment_by"), str) or not found["models"]:
        return "no segment column or no model"
    for name, entry in found["models"].items():
        shown = repr(str(name)[:40])
        if not isinstance(entry, dict) or entry.get("name") != name:
            return f"the model {shown} is not a model entry"
        for key, pattern in FIELDS.items():
            if not isinstance(entry.get(key), str) or not re.fullmatch(pattern, entry[key]):
                return f"the model {shown} has no valid {key!r}"
        folder = entry["folder"]
        if entry.get("tag") != f"{entry['artifact']}@{entry['version']}":
            return f"the model {shown} has a 'tag' that is not its artifact and version"
        if not entry["path"].endswith(f"/{folder}") or not isinstance(entry.get("metrics"), dict):
            return f"the model {shown} has a 'path' not its folder's, or no 'metrics'"
        if entry.get("assets") != sorted(asset_names(folder).values()):
            return f"the model {shown} does not list its folder's three assets"
    return None
