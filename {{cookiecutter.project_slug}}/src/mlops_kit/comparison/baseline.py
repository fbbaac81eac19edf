"""Find what CI compares the new metrics with, and write it to a JSON file for compare.py.

    python -m mlops_kit.comparison.baseline --event pull_request --base main \\
        --out reports/baseline.json
    python -m mlops_kit.comparison.baseline --event push --out reports/baseline.json

In order: the metrics committed at the merge-base with the base branch (a push: at the
previous commit); else the published model, the newest `<model>@vX.Y.Z` release (neither
draft nor pre-release) whose commit is an ancestor of the base branch head (a push: of the
previous commit), with its `metrics.json` asset; else none, with the reason and what to do.
Reading releases needs a token that may read contents (GITHUB_TOKEN); without one, or when
the API fails, the release is skipped with a warning.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from mlops_kit import common
from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.release.versions import SHA, Registry, version_of

METRICS = "reports/metrics.json"
MODELS = "reports/models.json"  # written by the evaluate stage of a project with many models


def git(*args: str) -> str | None:
    """git's output, or None when it fails."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def commit(rev: str) -> str | None:
    return git("rev-parse", "--verify", "--quiet", rev + "^{commit}")


def committed(sha: str, path: str) -> bool:
    return git("cat-file", "-e", f"{sha}:{path}") is not None


def release_commit(registry: Registry, release: dict[str, Any]) -> str | None:
    """The commit a release was made from: its target when that is a sha, else its tag's."""
    target = release.get("target_commitish") or ""
    if SHA.fullmatch(target):
        return target
    ref = registry.refs.get(release["tag_name"])
    return registry.commit_of(ref) if ref else None


def published(model: str | None, head: str, gh: GitHub | None = None) -> tuple[dict | None, str]:
    """(the release found, with its commit and metrics, or None; why none when None)."""
    if model is None:
        return None, "a project with many models has no release of one model to compare with"
    try:
        gh = gh or GitHub()
        if not gh.token:
            return None, "GITHUB_TOKEN is not set, so the published releases were not read"
        registry = Registry(gh, model)
        stable = [r for r in registry.releases if not r.get("draft") and not r.get("prerelease")]
        stable.sort(key=lambda r: version_of(r["tag_name"], model), reverse=True)
        for release in stable:
            sha = release_commit(registry, release)
            if sha and commit(sha) and git("merge-base", "--is-ancestor", sha, head) is not None:
                break
        else:
            return None, f"no published {model}@v* release was made from an ancestor of {head[:7]}"
        tag = release["tag_name"]
        asset = next((a for a in release.get("assets") or [] if a["name"] == "metrics.json"), None)
        if asset is None:
            return None, f"release {tag} has no metrics.json (run Publish again to upload it)"
        metrics = json.loads(gh.download_asset(asset["id"]))
    except GitHubError as exc:
        return None, f"the published releases could not be read ({exc})"
    except ValueError:
        return None, f"the metrics.json of release {tag} is not valid JSON"
    if not isinstance(metrics, dict):
        return None, f"the metrics.json of release {tag} holds no JSON object"
    return {"kind": "release", "sha": sha, "tag": tag, "metrics": metrics}, ""


def model_name(path: str = "dvc.yaml") -> str | None:
    """The first entry of `artifacts:` in dvc.yaml: the model releases are named after; None
    in a project with many models (its dvc.yaml writes reports/models.json), whose baseline
    is the metrics committed at the commit it starts from."""
    found = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else {}
    artifacts = (found or {}).get("artifacts") or {}
    if not isinstance(artifacts, dict) or not artifacts:
        if Path(path).is_file() and MODELS in Path(path).read_text(encoding="utf-8"):
            return None
        raise common.UserError(f"{path} has no 'artifacts:' entry naming the model; pass --model")
    return str(next(iter(artifacts)))


def find(
    event: str, base: str | None, model: str, metrics: str = METRICS, change: str = "HEAD"
) -> dict[str, Any]:
    """{kind: commit | release | none, sha, tag, base, reason[, metrics]}; ``sha`` is the
    commit parameters are diffed against, even when it has no metrics. ``change`` is the
    commit judged: HEAD, or an experiment's."""
    if event == "pull_request":
        if not base:
            raise common.UserError("--base is required for a pull request (the base branch)")
        head = commit(f"origin/{base}") or commit(base)
        if head is None:
            raise common.UserError(f"base branch {base} is not in this clone; fetch it first")
        start = git("merge-base", change, head)
        where = f"the merge-base with {base}"
    else:
        head = start = commit("HEAD~1")
        base, where = None, "the previous commit"
    if start is None:
        reason = (
            f"{change[:12]} and {base} have no commit in common"
            if base
            else "there is no previous commit (a first commit?)"
        )
        return {"kind": "none", "sha": None, "tag": None, "base": base, "reason": reason}
    return at_commit(start, head, base, model, metrics, where)


def at_commit(start: str, head: str, base: str | None, model: str, metrics: str, where: str):
    """The baseline when the change starts from ``start``: the metrics committed there, else
    the newest release made from an ancestor of ``head``, else none with the reason."""
    found = {"kind": "none", "sha": start, "tag": None, "base": base, "reason": None}
    if committed(start, metrics):
        return {**found, "kind": "commit"}
    release, why = published(model, head)
    if release:
        return {**found, **release}
    found["reason"] = (
        f"{metrics} is not committed at {where} ({start[:7]}) and {why}. Publish a model "
        f"from the default branch, or commit {metrics} there after `dvc repro`"
    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--event", choices=("pull_request", "push"), required=True)
    parser.add_argument("--base", default=None, help="the pull request's base branch")
    parser.add_argument("--model", default=None, help="default: first artifact in dvc.yaml")
    parser.add_argument("--metrics", default=METRICS)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        args.model = args.model or model_name()
        found = find(args.event, args.base, args.model, args.metrics)
    except common.UserError as exc:
        return common.fail(exc)
    if found["kind"] == "none":
        print(f"::warning::No baseline: {found['reason']}")
    common.write_json(args.out, found, sort_keys=False)
    shown = found.get("tag") or found["kind"]
    print(f"baseline: {shown} at {(found['sha'] or 'none')[:7]}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
