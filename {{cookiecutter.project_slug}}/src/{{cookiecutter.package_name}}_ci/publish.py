"""Publish the model as a GitHub release tagged `<model>@vX.Y.Z`, with its model card.

    python -m <package>_ci.publish --dry-run   # what would happen; writes nothing
    python -m <package>_ci.publish             # needs GITHUB_TOKEN, and GITHUB_REPOSITORY or
                                               # a github.com `origin` remote

Publishes only when data validation passed and no metric under `compare.metrics` is worse
than in the published version (the highest release that is not a pre-release) beyond its
tolerance. Order: checks, `dvc push`, tag, release, assets (model, metrics.json,
MODEL_CARD.md, and lineage.json for `<package>.serve --release`). Run again on the same
commit, it creates nothing and only uploads missing assets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import common, lineage

from . import gate, modelcard, remote
from .github import GitHub, GitHubError
from .releases import Registry, ensure_assets, text

METRICS, VALIDATION = Path("reports/metrics.json"), Path("reports/validation.json")


def artifact(path: str | Path = "dvc.yaml") -> tuple[str, str]:
    """Name and path of the first entry of `artifacts:` in dvc.yaml."""
    found = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("artifacts") or {}
    if not found:
        raise common.UserError(f"{path} has no 'artifacts:' entry naming the model to publish")
    name, spec = next(iter(found.items()))
    return str(name), str(spec["path"])


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if result.returncode:
        raise common.UserError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def inputs(model: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The metrics and validation summary, once every file to publish is there."""
    for path in (Path(model), METRICS, VALIDATION):
        if not path.is_file():
            raise common.UserError(f"{path} not found; run `dvc repro` (or `dvc pull`) first")
    metrics, validation = common.read_json(METRICS), common.read_json(VALIDATION)
    if not isinstance(validation, dict) or validation.get("success") is not True:
        raise common.UserError(f"{VALIDATION}: data validation did not pass; not publishing")
    return metrics, validation


def regressions(gh: GitHub, published: dict | None, metrics: dict, rules: dict) -> list[str]:
    """One line per metric worse than in the published release beyond its tolerance."""
    if published is None:
        return []
    tag = published["tag_name"]
    asset = next((a for a in published.get("assets") or [] if a["name"] == "metrics.json"), None)
    if asset is None:
        return [f"the published release {tag} has no metrics.json to compare with"]
    old = json.loads(gh.download_asset(asset["id"]))
    result = gate.judge(metrics, old, rules, baseline=tag)
    rows = {row["metric"]: row for row in result["metrics"]}
    return [f"{gate.describe(rows[name])} against {tag}" for name in result["regressions"]]


def assets(model: str, card: str, tag: str, sha: str) -> dict[str, bytes]:
    record = lineage.collect(model, release=tag, commit=sha)  # read by `<package>.serve`
    return {
        Path(model).name: Path(model).read_bytes(),
        "metrics.json": METRICS.read_bytes(),
        "MODEL_CARD.md": card.encode("utf-8"),
        "lineage.json": (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }


def publish(gh: GitHub, dry_run: bool = False) -> int:
    name, model = artifact()
    metrics, validation = inputs(model)
    rules = common.load_params("compare").get("metrics", {})
    sha = git("rev-parse", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        print(
            f"::warning::Uncommitted changes: the release is tagged at {sha[:7]} but holds "
            "the files as they are in the working tree"
        )

    def card(version: str) -> str:
        return modelcard.from_project(name, version, sha, model)

    registry = Registry(gh, name)
    existing = registry.release_at(sha)
    if existing:
        version = existing["tag_name"].split("@", 1)[1]
        ensure_assets(
            gh, existing, assets(model, card(version), existing["tag_name"], sha), dry_run
        )
        print(f"already published as {existing['tag_name']}")
        return 0
    published = registry.published()
    problems = regressions(gh, published, metrics, rules)
    for problem in problems:
        print(f"::error::Not publishing: {problem}")
    if problems:
        return 1
    version = text(registry.version_for(sha))
    tag = f"{name}@{version}"
    try:
        gh.get(f"/repos/{gh.repo}/commits/{sha}")
    except GitHubError as exc:
        if exc.status not in (404, 422):
            raise
        raise common.UserError(f"commit {sha[:7]} is not on GitHub; `git push` first") from None
    against = f"no metric worse than {published['tag_name']}" if published else "first version"
    if dry_run:
        print(f"would publish {tag} at {sha[:7]} ({against}): dvc push, tag, release, 4 assets")
        return 0
    code = remote.sync("push")
    if code:
        return code
    registry.create_tag(tag, sha, f"Registering artifact {name} version {version}")
    body = card(version)
    release = gh.post(
        f"/repos/{gh.repo}/releases",
        {"tag_name": tag, "target_commitish": sha, "name": f"{name} {version}", "body": body},
    )
    ensure_assets(gh, release, assets(model, body, tag, sha), dry_run=False)
    print(f"published {tag} at {sha[:7]} ({against}): {release.get('html_url', '')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="show what would happen")
    args = parser.parse_args(argv)
    try:
        gh = GitHub()
        if not gh.token and not args.dry_run:
            raise common.UserError("set GITHUB_TOKEN to a token that may create releases")
        return publish(gh, args.dry_run)
    except common.UserError as exc:
        return common.fail(exc, 1)
    except GitHubError as exc:
        print(f"::error::Publishing stopped: {exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
