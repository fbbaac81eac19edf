"""Model versions as GitHub releases and git tags named `<model>@vX.Y.Z` (GTO's convention)."""

from __future__ import annotations

import json
import re
from typing import Any

from mlops_kit.github.client import SHA, GitHub, GitHubError

Version = tuple[int, int, int]


def version_of(tag: str | None, name: str) -> Version | None:
    """(1, 2, 3) for `<name>@v1.2.3`, else None."""
    match = re.fullmatch(rf"{re.escape(name)}@v(\d+)\.(\d+)\.(\d+)", tag or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def next_version(versions: list[Version]) -> Version:
    """v0.1.0 first, then the highest version with its patch number plus one."""
    if not versions:
        return (0, 1, 0)
    major, minor, patch = max(versions)
    return (major, minor, patch + 1)


def text(version: Version) -> str:
    return "v{}.{}.{}".format(*version)


class Registry:
    """The releases and tags of one model in one repository."""

    def __init__(self, gh: GitHub, name: str):
        self.gh, self.name = gh, name
        self.releases = [
            release
            for release in gh.paginate(f"/repos/{gh.repo}/releases?per_page=100")
            if version_of(release.get("tag_name"), name)
        ]
        self.refs = {
            ref["ref"].removeprefix("refs/tags/"): ref["object"]
            for ref in gh.paginate(f"/repos/{gh.repo}/git/matching-refs/tags/{name}@v")
            if version_of(ref["ref"].removeprefix("refs/tags/"), name)
        }

    def commit_of(self, ref_object: dict[str, Any]) -> str:
        """The commit a tag ref points at, through the annotated tag object if there is one."""
        if ref_object.get("type") == "tag":
            tag = self.gh.get(f"/repos/{self.gh.repo}/git/tags/{ref_object['sha']}")
            return tag["object"]["sha"]
        return ref_object["sha"]

    def release_at(self, sha: str) -> dict[str, Any] | None:
        """The release of this model made from commit ``sha``, if any."""
        for release in self.releases:
            target, tag = release.get("target_commitish") or "", release["tag_name"]
            if SHA.fullmatch(target):
                if target == sha:
                    return release
            elif tag in self.refs and self.commit_of(self.refs[tag]) == sha:
                return release
        return None

    def published(self) -> dict[str, Any] | None:
        """The highest version that is neither a draft nor a pre-release."""
        return max(
            (r for r in self.releases if not r.get("draft") and not r.get("prerelease")),
            key=lambda r: version_of(r["tag_name"], self.name),
            default=None,
        )

    def version_for(self, sha: str) -> Version:
        """The next version; or the version whose tag an interrupted run left at ``sha``."""
        released = {r["tag_name"] for r in self.releases}
        tags = sorted({*self.refs, *released}, key=lambda t: version_of(t, self.name))
        last = tags[-1] if tags else None
        if last and last not in released and self.commit_of(self.refs[last]) == sha:
            return version_of(last, self.name)
        return next_version([version_of(t, self.name) for t in tags])

    def tag_commit(self, tag: str) -> str | None:
        """The commit the git tag ``tag`` points at on GitHub, or None when there is none."""
        try:
            ref = self.gh.get(f"/repos/{self.gh.repo}/git/ref/tags/{tag}")["object"]
        except GitHubError as exc:
            if exc.status != 404:
                raise
            return None
        return self.commit_of(ref)


def in_many_release(gh: GitHub, tag: str, commit: str) -> bool:
    """Whether a public `models-release-<N>` from ``commit`` lists ``tag`` in manifest.json."""
    for release in gh.paginate(f"/repos/{gh.repo}/releases?per_page=100"):
        many = re.fullmatch(r"models-release-[1-9][0-9]*", release.get("tag_name") or "")
        if not many or release.get("draft") or release.get("prerelease"):
            continue
        assets = release.get("assets") or []
        found = [a for a in assets if a["name"] == "manifest.json"]
        if release.get("target_commitish") != commit or not found:
            continue
        try:
            models = json.loads(gh.download_asset(found[0]["id"]))["models"].values()
        except (ValueError, KeyError, TypeError, AttributeError):  # not a manifest
            continue
        if any(isinstance(e, dict) and e.get("tag") == tag for e in models):
            return True
    return False
