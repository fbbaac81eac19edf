"""Promote one model of many, or a group of them: the models a `models-release-<N>` holds.

    python -m mlops_kit.release.promote_group --version store-7@v0.1.1 --name store-7 \\
        --stage staging                       # one model: promote.py's rules and tag
    python -m mlops_kit.release.promote_group --version models-release-3 --name '*' \\
        --stage staging --check               # every model of that release (a pattern of
                                              # names, e.g. 'store-00*', picks some of them)

For a group, the release's manifest.json is read once and promote.py's rules apply to each
model: the release is public, its commit is on the default branch, `production` only for a
version that was in `staging`, and each model's version tag on GitHub is at that commit (the
tags read in one listing). A model its stage holds at that commit already is left as it is.
When any model is refused, each refusal is a line and nothing is tagged: a group goes
together or not at all.
Each of the others gets its annotated tag `<model>#<stage>#N`, so the calls to GitHub grow
with the group, not with every model of the project. The standard library only, as
promote.py: the Promote workflow runs it without an install.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import urllib.parse

from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release import promote
from mlops_kit.release.promote import Refused
from mlops_kit.release.stage_tags import STAGES, current, history

RELEASE = re.compile(r"models-release-[1-9][0-9]*")


def members(gh: GitHub, release_tag: str, pattern: str) -> tuple[str, list[dict]]:
    """(the release's commit, the manifest's entries of the models it holds that match)."""
    try:
        quoted = urllib.parse.quote(release_tag, safe="")
        release = gh.get(f"/repos/{gh.repo}/releases/tags/{quoted}")
    except GitHubError as exc:
        if exc.status != 404:
            raise
        raise Refused(f"there is no release {release_tag}; publish first") from None
    if release.get("draft") or release.get("prerelease"):
        raise Refused(f"{release_tag} is a draft or a pre-release, not published")
    asset = [a for a in release.get("assets") or [] if a.get("name") == "manifest.json"]
    try:
        found = json.loads(gh.download_asset(asset[0]["id"])) if asset else None
        models = [e for e in found["models"].values() if isinstance(e, dict)]
    except (ValueError, KeyError, TypeError, AttributeError):
        models = None
    if models is None:
        raise Refused(f"{release_tag} has no readable manifest.json: it is not a release of models")
    chosen = [
        e
        for e in models
        if e.get("release") == release_tag
        and (
            fnmatch.fnmatchcase(str(e.get("name")), pattern)
            or fnmatch.fnmatchcase(str(e.get("artifact")), pattern)
        )
    ]
    if not chosen:
        raise Refused(f"no model that {release_tag} holds matches --name {pattern!r}")
    return str(release.get("target_commitish")), sorted(chosen, key=lambda e: e["artifact"])


def tag_commits(gh: GitHub, tags: list[str]) -> dict[str, str]:
    """{tag: its commit} of those of ``tags`` that GitHub has."""
    refs = {
        ref["ref"].removeprefix("refs/tags/"): ref["object"]
        for ref in gh.paginate(f"/repos/{gh.repo}/git/matching-refs/tags/")
    }
    found = {}
    for tag in tags:
        if tag in refs:
            obj = refs[tag]
            if obj.get("type") == "tag":
                obj = gh.get(f"/repos/{gh.repo}/git/tags/{obj['sha']}")["object"]
            found[tag] = obj["sha"]
    return found


def plan(entry: dict, commit: str, stage: str, at: str | None) -> tuple[str | None, str | None]:
    """(the new stage tag, None) for one model whose version tag is at commit ``at``, (None,
    why) when refused, (None, None) when its stage holds that version already."""
    name, tag = str(entry["artifact"]), str(entry["tag"])
    if at != commit:
        return None, f"{tag}: its git tag is not on GitHub at {commit[:7]}; publish again"
    found = history(name)
    held = current(found).get(stage)
    if held and held.commit == commit:
        return None, None
    staged = any(p.stage == "staging" and p.commit == commit and not p.removed for p in found)
    if stage == "production" and not staged:
        return None, f"{tag} was never in staging: promote it to staging first"
    number = max((p.number for p in found if p.stage == stage), default=0) + 1
    return f"{name}#{stage}#{number}", None


def promote_group(gh: GitHub, release_tag: str, pattern: str, stage: str, dry_run: bool) -> int:
    if stage not in STAGES:
        raise Refused(f"--stage {stage!r}: choose one of {', '.join(STAGES)}")
    commit, chosen = members(gh, release_tag, pattern)
    branch = os.environ.get("DEFAULT_BRANCH") or "main"
    if not promote.on_branch(commit, branch):
        raise Refused(f"{release_tag} was published from {commit[:7]}, which is not on {branch}")
    planned, refused, already = [], [], 0
    commits = tag_commits(gh, [str(entry["tag"]) for entry in chosen])
    for entry in chosen:
        new, why = plan(entry, commit, stage, commits.get(str(entry["tag"])))
        if why:
            refused.append(why)
        elif new:
            planned.append((str(entry["tag"]), new))
        else:
            already += 1
    if refused:
        out, prefix = promote.errors()
        for why in refused:
            print(f"{prefix}Not promoting {why}", file=out)
        raise Refused(f"{len(refused)} of the {len(chosen)} models are refused; nothing tagged")
    kept = f", {already} in {stage} already" if already else ""
    if not planned:
        print(f"{release_tag}: nothing to do for {stage}{kept}")
        return 0
    if dry_run:
        print(f"{release_tag}: {len(planned)} models may be promoted to {stage}{kept}")
        return 0
    approved = promote.approvers(gh, stage)
    for tag, new in planned:
        promote.create_tag(gh, new, commit, promote.message(tag, stage, approved, gh.repo))
        print(f"promoted {tag} to {stage}: {new}")
    print(f"{release_tag}: {len(planned)} models promoted to {stage} on {commit[:7]}{kept}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="<model>@vX.Y.Z, or models-release-N")
    parser.add_argument("--name", required=True, help="the model; for a release, a pattern")
    parser.add_argument("--stage", required=True, help=" or ".join(STAGES))
    parser.add_argument("--check", action="store_true", help="apply the rules; write nothing")
    args = parser.parse_args(argv)
    if not RELEASE.fullmatch(args.version):
        one = ["--name", args.name, "--version", args.version, "--stage", args.stage]
        return promote.main(one + (["--check"] if args.check else []))
    group = args.version, args.name, args.stage, args.check
    return promote.command(lambda gh: promote_group(gh, *group), args.check)


if __name__ == "__main__":
    raise SystemExit(main())
