"""Make one release converge: a draft, its assets uploaded and checked, then published.

Every step looks before it writes, so a run that stopped anywhere, or whose reply from GitHub
was lost, is finished by the next run on the same commit: one release, one tag, and never a
public release that lacks an asset.

1. the draft of the tag: the one already there (extra drafts of that tag are deleted), or a
   new one;
2. each asset: kept when its size and sha256 digest (GitHub's `digest`) match the file, else
   deleted and uploaded again (judged from the release as read; after a failed or lost
   upload, from a fresh read);
3. every asset checked once more, from a fresh read of the release;
4. the annotated git tag at the commit (one already there at that commit is kept);
5. published: PATCH `draft: false`, naming the tag and the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from mlops_kit import common
from mlops_kit.github.client import ATTEMPTS, GitHub, GitHubError
from mlops_kit.release.versions import Registry


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def matches(gh: GitHub, asset: dict[str, Any], data: bytes) -> bool:
    """Whether an uploaded asset holds exactly ``data``."""
    if asset.get("state", "uploaded") != "uploaded" or asset.get("size") != len(data):
        return False
    if asset.get("digest"):
        return asset["digest"] == digest(data)
    return gh.download_asset(asset["id"]) == data  # no digest (an older server): compare bytes


def create_once(look: Callable[[], Any], create: Callable[[], Any]) -> Any:
    """What ``look`` finds, else what ``create`` makes. After a create whose reply was lost
    (or that GitHub refuses as a duplicate), look again rather than create a second one."""
    error: GitHubError | None = None
    for _ in range(ATTEMPTS):
        found = look()
        if found:
            return found
        try:
            return create()
        except GitHubError as exc:
            if not exc.unknown and exc.status != 422:
                raise
            error = exc
            if exc.status == 422:  # a real validation error, unless it was applied after all
                found = look()
                if found:
                    return found
                raise
    raise error  # type: ignore[misc]


def fresh(gh: GitHub, release: dict[str, Any]) -> dict[str, Any]:
    return gh.get(f"/repos/{gh.repo}/releases/{release['id']}")


def require_commit(gh: GitHub, sha: str) -> None:
    """Stop in one line, before any write, when GitHub does not have commit ``sha``."""
    try:
        gh.get(f"/repos/{gh.repo}/commits/{sha}")
    except GitHubError as exc:
        if exc.status not in (404, 422):
            raise
        raise common.UserError(f"commit {sha[:7]} is not on GitHub; `git push` first") from None


def draft(gh: GitHub, tag: str, sha: str, title: str, body: str) -> dict[str, Any]:
    """The draft release of ``tag``, created once."""

    def look() -> dict[str, Any] | None:
        drafts = [
            r
            for r in gh.paginate(f"/repos/{gh.repo}/releases?per_page=100")
            if r.get("tag_name") == tag and r.get("draft")
        ]
        drafts.sort(key=lambda r: r["id"])
        for extra in drafts[1:]:  # left by a lost reply to an earlier create
            print(f"deleting a duplicate draft of {tag}")
            gh.delete(f"/repos/{gh.repo}/releases/{extra['id']}")
        return drafts[0] if drafts else None

    fields = {"tag_name": tag, "target_commitish": sha, "name": title, "body": body}
    return create_once(
        look, lambda: gh.post(f"/repos/{gh.repo}/releases", {**fields, "draft": True})
    )


def upload(
    gh: GitHub, release: dict, files: Mapping[str, bytes], *, replace: bool = True, dry_run=False
) -> list[str]:
    """Give the release each file; with ``replace``, an asset that differs is deleted and
    uploaded again (never on a public release: it would lack the file meanwhile). Returns
    the names uploaded."""
    tag, done = release["tag_name"], []

    def asset(name: str) -> dict[str, Any] | None:
        return next((a for a in fresh(gh, release)["assets"] if a["name"] == name), None)

    for name, data in files.items():
        have = next((a for a in release.get("assets") or [] if a["name"] == name), None)
        if have and (not replace or matches(gh, have, data)):
            continue
        if dry_run:
            print(f"would {'replace' if have else 'upload'} {name} on {tag}")
            continue

        first = [have]  # the first look is the release as read; later ones, GitHub's

        def look(name=name, data=data, first=first) -> dict[str, Any] | None:
            found = first.pop() if first else asset(name)
            if found and not matches(gh, found, data):
                print(f"{name} on {tag} differs from the file (size or digest); replacing it")
                gh.delete(f"/repos/{gh.repo}/releases/assets/{found['id']}")
                return None
            return found

        print(f"uploading {name} to {tag}")
        create_once(look, lambda name=name, data=data: gh.upload_asset(release, name, data))
        done.append(name)
    return done


def verify(gh: GitHub, release: dict, files: Mapping[str, bytes]) -> dict[str, Any]:
    """The release read again; raises unless each file is there, intact."""
    current = fresh(gh, release)
    have = {a["name"]: a for a in current.get("assets") or []}
    bad = [n for n, data in files.items() if n not in have or not matches(gh, have[n], data)]
    if bad:
        raise GitHubError(
            None, f"the draft {release['tag_name']} lacks {', '.join(bad)} intact; run again"
        )
    return current


def tag(gh: GitHub, registry: Registry, tag: str, sha: str, message: str) -> str:
    """The annotated tag ``tag`` at ``sha``: the one there, or a new tag object and ref."""

    def look() -> str | None:
        commit = registry.tag_commit(tag)
        if commit and commit != sha:
            raise GitHubError(
                422,
                f"tag {tag} is on commit {commit[:7]}, not {sha[:7]}: delete that tag "
                f"(`git push origin :refs/tags/{tag}`) if no release uses it, then run again",
            )
        return commit

    def create() -> str:
        body = {"tag": tag, "message": message, "object": sha, "type": "commit"}
        made = gh.post(f"/repos/{gh.repo}/git/tags", body)
        gh.post(f"/repos/{gh.repo}/git/refs", {"ref": f"refs/tags/{tag}", "sha": made["sha"]})
        return sha

    return create_once(look, create)


def publish(
    gh: GitHub, registry: Registry, name_tag: str, sha: str, files: dict[str, bytes], card: str
) -> dict[str, Any]:
    """Steps 1 to 5 above; returns the published release."""
    name, version = name_tag.split("@", 1)
    title = f"{name} {version}"
    release = draft(gh, name_tag, sha, title, card)
    upload(gh, release, files)
    verify(gh, release, files)
    tag(gh, registry, name_tag, sha, f"Registering artifact {name} version {version}")
    fields = {"tag_name": name_tag, "target_commitish": sha, "name": title, "body": card}
    return gh.patch(f"/repos/{gh.repo}/releases/{release['id']}", {**fields, "draft": False})
