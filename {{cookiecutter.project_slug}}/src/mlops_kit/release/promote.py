"""Promote a published model version to a stage: the annotated tag `<model>#<stage>#N`.

    python -m mlops_kit.release.promote --version model@v1.2.0 --stage staging --check  # rules only
    python -m mlops_kit.release.promote --version model@v1.2.0 --stage staging

Refused, each in one line: a version that is not published (no release of it that is
neither a draft nor a pre-release, or, for one model of many, no such `models-release-<N>`
listing it in its manifest.json; or its git tag is missing), one whose commit is not on
the default branch (DEFAULT_BRANCH, else main; read in this checkout), and `production` for
a version never promoted to `staging`. The tag goes on the version's commit through the
REST API (a tag object, then its ref), numbered after the stage's last one, so `gto show`
reads it; its message records who started the run (GITHUB_TRIGGERING_ACTOR), who approved it
(the run's approvals for the environment named after the stage) and the run's URL. Rolling
back is promoting an older version again: a new tag, the history kept. The standard library
only: the Promote workflow runs it without an install.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any

from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release.stage_tags import STAGES, Promotion, current, history
from mlops_kit.release.versions import Registry, in_many_release, version_of


class Refused(Exception):
    """A promotion the rules do not allow; the message says why and what to do, in one line."""


def version_tag(text: str, name: str) -> str:
    """`<name>@vX.Y.Z` from that, `vX.Y.Z` or `X.Y.Z`."""
    tag = text.strip()
    if re.fullmatch(r"v?\d+\.\d+\.\d+", tag):
        tag = f"{name}@v{tag.removeprefix('v')}"
    if not version_of(tag, name):
        raise Refused(f"--version {text!r}: give a published version, like {name}@v1.2.0")
    return tag


def published_commit(registry: Registry, tag: str) -> str:
    """The commit of the published version ``tag`` (its release, or the many-models release
    that lists it); refused when it is not published."""
    release = next((r for r in registry.releases if r["tag_name"] == tag), None)
    if release is None and not registry.releases:
        commit = registry.tag_commit(tag)
        if commit and in_many_release(registry.gh, tag, commit):
            return commit
    if release is None or release.get("draft"):
        raise Refused(f"{tag} is not published: there is no release {tag}; publish it first")
    if release.get("prerelease"):
        raise Refused(f"{tag} is not published: its release is a pre-release (withdrawn)")
    commit = registry.tag_commit(tag)
    if commit is None:
        raise Refused(f"{tag} is not published: its release has no git tag {tag} on GitHub")
    return commit


def on_branch(commit: str, branch: str) -> bool:
    """Whether ``commit`` is on ``branch`` (as fetched from origin, else the local one)."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        known = ["git", "rev-parse", "--verify", "--quiet", ref]
        if subprocess.run(known, capture_output=True, check=False).returncode == 0:
            ancestor = ["git", "merge-base", "--is-ancestor", commit, ref]
            return subprocess.run(ancestor, capture_output=True, check=False).returncode == 0
    raise Refused(f"the default branch {branch} is not in this checkout: `git fetch origin`")


def check(registry: Registry, tag: str, stage: str, branch: str) -> tuple[str, list[Promotion]]:
    """(the version's commit, the promotions so far) once the rules allow the promotion."""
    if stage not in STAGES:
        raise Refused(f"--stage {stage!r}: choose one of {', '.join(STAGES)}")
    commit = published_commit(registry, tag)
    if not on_branch(commit, branch):
        raise Refused(
            f"{tag} was published from commit {commit[:7]}, which is not on {branch}: "
            f"promote only versions published from the default branch"
        )
    found = history(registry.name)
    staged = any(p.stage == "staging" and p.commit == commit and not p.removed for p in found)
    if stage == "production" and not staged:
        raise Refused(f"{tag} was never in staging: promote it to staging first, then production")
    return commit, found


def approvers(gh: GitHub, stage: str) -> list[str]:
    """Who approved this run for the environment ``stage`` (with their comments)."""
    run = os.environ.get("GITHUB_RUN_ID")
    if not run:
        return []
    names = []
    for review in gh.get(f"/repos/{gh.repo}/actions/runs/{run}/approvals") or []:
        places = {env.get("name") for env in review.get("environments") or []}
        if review.get("state") == "approved" and stage in places:
            comment = " ".join(str(review.get("comment") or "").split())
            names.append(review["user"]["login"] + (f' ("{comment}")' if comment else ""))
    return names


def message(tag: str, stage: str, approved: list[str], repo: str) -> str:
    env = os.environ
    actor = env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR") or "unknown"
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    run_id = env.get("GITHUB_RUN_ID")
    run = f"{server}/{repo}/actions/runs/{run_id}" if run_id else "-"
    nobody = f"no one (the environment {stage} has no required reviewers)"
    return (
        f"Promote {tag} to {stage}\n\nStarted by: {actor}\n"
        f"Approved by: {', '.join(approved) or nobody}\nRun: {run}\n"
    )


def create_tag(gh: GitHub, name: str, commit: str, text: str) -> None:
    """The annotated tag ``name`` on ``commit``: a tag object, then the ref naming it."""
    body = {"tag": name, "message": text, "object": commit, "type": "commit"}
    sha = gh.post(f"/repos/{gh.repo}/git/tags", body)["sha"]
    try:
        gh.post(f"/repos/{gh.repo}/git/refs", {"ref": f"refs/tags/{name}", "sha": sha})
    except GitHubError as exc:
        if exc.status == 422 and not exc.unknown:
            raise Refused(
                f"the tag {name} exists already (another promotion?); run again"
            ) from None
        if not exc.unknown:
            raise
        ref = gh.get(f"/repos/{gh.repo}/git/ref/tags/{urllib.parse.quote(name, safe='')}")
        if ref["object"]["sha"] != sha:  # the reply was lost: look whether it was applied
            raise


def promote(gh: GitHub, name: str, version: str, stage: str, dry_run: bool = False) -> int:
    tag = version_tag(version, name)
    branch = os.environ.get("DEFAULT_BRANCH") or "main"
    commit, found = check(Registry(gh, name), tag, stage, branch)
    held = current(found).get(stage)
    if held and held.commit == commit:
        print(f"{tag} is in {stage} already ({held.tag}); nothing to do")
        return 0
    number = max((p.number for p in found if p.stage == stage), default=0) + 1
    new = f"{name}#{stage}#{number}"
    was = f"; {stage} held {held.version} ({held.tag})" if held else ""
    if dry_run:
        print(f"{tag} (commit {commit[:7]}) may be promoted to {stage} as {new}{was}")
        return 0
    approved = approvers(gh, stage)
    create_tag(gh, new, commit, message(tag, stage, approved, gh.repo))
    print(f"promoted {tag} to {stage}: {new} on {commit[:7]}{was}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="model@vX.Y.Z (or vX.Y.Z)")
    parser.add_argument("--stage", required=True, help=" or ".join(STAGES))
    parser.add_argument("--name", default="model", help="the model (dvc.yaml artifacts: entry)")
    parser.add_argument("--check", action="store_true", help="apply the rules; write nothing")
    args = parser.parse_args(argv)
    return command(
        lambda gh: promote(gh, args.name, args.version, args.stage, args.check), args.check
    )


def errors() -> tuple[Any, str]:
    """Where refusals go, and their prefix: an annotation in GitHub Actions, else stderr."""
    actions = os.environ.get("GITHUB_ACTIONS") == "true"
    return (sys.stdout, "::error::") if actions else (sys.stderr, "error: ")


def command(act: Callable[[GitHub], int], check: bool) -> int:
    """``act`` with a GitHub client, as a command: refusals and GitHub's errors in one line."""
    out, prefix = errors()
    try:
        gh = GitHub()
        if not gh.token and not check:
            raise Refused("set GITHUB_TOKEN to a token that may create tags (contents: write)")
        return act(gh)
    except Refused as exc:
        print(f"{prefix}Not promoting: {exc}", file=out)
        return 1
    except GitHubError as exc:
        print(f"{prefix}Promotion stopped: {exc}; run Promote again to finish it", file=out)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
