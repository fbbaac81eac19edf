"""The champion: the published release a new model is compared with, and its repair.

The champion is the highest version that is neither a draft nor a pre-release. When its
`metrics.json` is missing or unreadable, nothing can be compared with it; rather than block
every later publish, `python -m mlops_kit.release.publish --repair <model>@vX.Y.Z` withdraws it:
the release is marked a pre-release (its tag, files and page stay; a note at the top of its
notes says why), so the version below it is the champion again. Publish from the same commit
again to make a complete release of that model under the next version number.
"""

from __future__ import annotations

import json
from typing import Any

from mlops_kit import common
from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release.versions import Registry

WITHDRAWN = "> **Withdrawn as champion**"


class Unreadable(Exception):
    """The champion cannot be compared with; the message says why, in a few words."""


def repair_command(tag: str) -> str:
    return f"python -m {__package__}.publish --repair {tag}"


def metrics(gh: GitHub, release: dict[str, Any]) -> dict[str, Any]:
    """The metrics.json of a release; raises Unreadable when it is missing or not JSON."""
    asset = next((a for a in release.get("assets") or [] if a["name"] == "metrics.json"), None)
    if asset is None:
        raise Unreadable("has no metrics.json")
    try:
        found = json.loads(gh.download_asset(asset["id"]))
    except GitHubError as exc:
        if exc.status not in (404, 410):
            raise
        raise Unreadable("has a metrics.json that cannot be downloaded") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unreadable(f"has a metrics.json that is not JSON ({exc})") from None
    if not isinstance(found, dict):
        raise Unreadable("has a metrics.json that is not a JSON object")
    return found


def problems(gh: GitHub, release: dict[str, Any], expected: list[str]) -> list[str]:
    """What is wrong with a published release: each missing asset, unreadable metrics."""
    have = {a["name"] for a in release.get("assets") or []}
    found = [f"has no {name}" for name in expected if name not in have and name != "metrics.json"]
    try:
        metrics(gh, release)
    except Unreadable as exc:
        found.insert(0, str(exc))
    return found


def withdraw(gh: GitHub, release: dict[str, Any], why: str) -> dict[str, Any]:
    """Mark the release a pre-release, with a note at the top of its notes."""
    body = release.get("body") or ""
    if not body.startswith(WITHDRAWN):
        body = f"{WITHDRAWN}: this release {why}; it is no longer compared with.\n\n{body}"
    fields = {"prerelease": True, "body": body, "make_latest": "false"}
    return gh.patch(f"/repos/{gh.repo}/releases/{release['id']}", fields)


def repair(gh: GitHub, name: str, tag: str, expected: list[str]) -> int:
    """Withdraw the published release ``tag`` when an asset is missing or unreadable."""
    release = next((r for r in Registry(gh, name).releases if r["tag_name"] == tag), None)
    if release is None or release.get("draft"):
        raise common.UserError(f"there is no published release {tag} of the model {name}")
    found = problems(gh, release, expected)
    if not found:
        print(f"{tag} has all its assets and a readable metrics.json; nothing to repair")
        return 0
    withdraw(gh, release, " and ".join(found))
    now = Registry(gh, name).published()
    after = f"the champion is now {now['tag_name']}" if now else "there is no champion now"
    print(f"withdrew {tag} ({' and '.join(found)}): marked a pre-release; {after}")
    return 0
