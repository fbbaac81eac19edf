"""Model stages as git tags in GTO's format, read with plain git (standard library only).

`<model>@vX.Y.Z` names a published version, on the commit it was published from;
`<model>#<stage>#N`, an annotated tag on that same commit, is the N-th promotion to <stage>
(`gto show` finds a stage's version the same way: the version tag on the stage tag's
commit). A stage holds the version of its highest N; `<model>#<stage>!#N` (GTO's unassign)
empties it. Two `git for-each-ref` calls read every tag, however many there are.
"""

from __future__ import annotations

import re
import subprocess
from typing import NamedTuple

STAGES = ("staging", "production")
STAGE_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?")
FORMAT = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)"


class Promotion(NamedTuple):
    """One stage tag: its stage, its number N, its name, its commit and the version there."""

    stage: str
    number: int
    tag: str
    commit: str
    version: str | None
    removed: bool  # GTO's `!`: the stage was emptied


def _refs(pattern: str, cwd: str | None = None) -> list[tuple[str, str, str]]:
    """(tag name, object type, commit) of each tag matching ``pattern``."""
    result = subprocess.run(
        ["git", "for-each-ref", f"--format={FORMAT}", f"refs/tags/{pattern}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    if result.returncode:
        raise OSError(f"git for-each-ref failed: {result.stderr.strip() or 'not a git checkout'}")
    found = []
    for line in result.stdout.splitlines():
        name, kind, sha, peeled = line.split("\0")
        found.append((name, kind, peeled or sha))
    return found


def names(pattern: str = "*", cwd: str | None = None) -> list[str]:
    """The names of the tags matching ``pattern`` (a glob of `git for-each-ref`)."""
    return [tag for tag, _, _ in _refs(pattern, cwd)]


def _version_key(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag.rsplit("@v", 1)[1].split("."))


def versions(name: str = "model", cwd: str | None = None) -> dict[str, str]:
    """{commit: the highest `<name>@vX.Y.Z` tag on it}."""
    pattern = re.compile(rf"{re.escape(name)}@v\d+\.\d+\.\d+")
    found: dict[str, str] = {}
    for tag, _, commit in _refs(f"{name}@v*", cwd):
        if pattern.fullmatch(tag) and (
            commit not in found or _version_key(tag) > _version_key(found[commit])
        ):
            found[commit] = tag
    return found


def history(
    name: str = "model", cwd: str | None = None, stage: str | None = None
) -> list[Promotion]:
    """Every stage tag of the model (annotated ones, as GTO reads), or those of ``stage``,
    by stage then number."""
    pattern = re.compile(rf"{re.escape(name)}#(?P<stage>[^#!]+)(?P<removed>!?)#(?P<n>\d+)")
    at = versions(name, cwd)
    found = []
    for tag, kind, commit in _refs(f"{name}#{stage or ''}*", cwd):
        match = pattern.fullmatch(tag)
        wanted = match and (stage is None or match["stage"] == stage)
        if wanted and kind == "tag" and STAGE_NAME.fullmatch(match["stage"]):
            number, removed = int(match["n"]), bool(match["removed"])
            found.append(Promotion(match["stage"], number, tag, commit, at.get(commit), removed))
    return sorted(found, key=lambda p: (p.stage, p.number))


def current(found: list[Promotion]) -> dict[str, Promotion]:
    """{stage: its latest promotion} of each stage that holds a version now."""
    latest: dict[str, Promotion] = {}
    for promotion in found:  # sorted by number within each stage
        latest[promotion.stage] = promotion
    return {stage: p for stage, p in latest.items() if not p.removed}


def resolve(stage: str, name: str = "model", cwd: str | None = None) -> Promotion | None:
    """The promotion that gives ``stage`` its version now, or None when it holds none."""
    return current(history(name, cwd, stage)).get(stage)
