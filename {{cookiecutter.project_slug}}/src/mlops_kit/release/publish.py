"""Publish the model as a GitHub release tagged `<model>@vX.Y.Z`, with its model card.

    python -m mlops_kit.release.publish --dry-run   # what would happen; writes nothing
    python -m mlops_kit.release.publish             # needs GITHUB_TOKEN, and GITHUB_REPOSITORY or
                                               # a github.com `origin` remote
    python -m mlops_kit.release.publish --repair <model>@vX.Y.Z   # withdraw a broken champion

Publishes only a reviewed commit (the working tree may differ from it only in the pipeline's
outputs: worktree.py), when data validation passed and no metric under `compare.metrics` is
worse than in the champion (the highest release that is neither a draft nor a pre-release:
champion.py) beyond its tolerance. Order: checks (a DVC remote folder missing here stops the
publish before any call to GitHub), `dvc push`, then the release converges (github_release.py):
a draft, its assets (model, metrics.json, profile.json, MODEL_CARD.md and model_card.json, and
lineage.json; `mlops_kit.serving.serve --release` and `mlops_kit.monitoring.monitor --release`
read them) uploaded and checked, the annotated tag, and only then public.
A project with many models (reports/models.json) publishes the models that changed, each
tagged `<artifact>@vX.Y.Z`, in one release `models-release-<N>` with a manifest: many.py.
A run that stopped anywhere is finished by running it again on the same commit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from mlops_kit import common
from mlops_kit.comparison import gate
from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.modelcard import card as modelcard
from mlops_kit.release import champion, github_release, many, worktree
from mlops_kit.release.versions import Registry, text
from mlops_kit.remote import sync
from mlops_kit.remote.credentials import read_config
from mlops_kit.serving import lineage

METRICS, VALIDATION = Path("reports/metrics.json"), Path("reports/validation.json")
PROFILE = Path("reports/profile.json")  # the reference of `mlops_kit.monitoring.monitor --release`


def artifact(path: str | Path = "dvc.yaml") -> tuple[str, str]:
    """Name and path of the first entry of `artifacts:` in dvc.yaml."""
    found = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("artifacts") or {}
    if not found and many.applies():
        raise common.UserError(
            "--repair withdraws one model's champion; in a project with many models, mark a "
            "broken models-release-<N> a pre-release on GitHub and publish again"
        )
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
    for path in (Path(model), METRICS, VALIDATION, PROFILE):
        if not path.is_file():
            raise common.UserError(f"{path} not found; run `dvc repro` (or `dvc pull`) first")
    metrics, validation = common.read_json(METRICS), common.read_json(VALIDATION)
    if not isinstance(validation, dict) or validation.get("success") is not True:
        raise common.UserError(f"{VALIDATION}: data validation did not pass; not publishing")
    return metrics, validation


def regressions(gh: GitHub, published: dict | None, metrics: dict, rules: dict) -> list[str]:
    """One line per metric worse than in the champion beyond its tolerance."""
    if published is None:
        return []
    tag = published["tag_name"]
    try:
        old = champion.metrics(gh, published)
    except champion.Unreadable as exc:
        return [
            f"the champion {tag} {exc}, so nothing can be compared with it; withdraw it with "
            f"`{champion.repair_command(tag)}` and publish again"
        ]
    result = gate.judge(metrics, old, rules, baseline=tag)
    rows = {row["metric"]: row for row in result["metrics"]}
    return [f"{gate.describe(rows[name])} against {tag}" for name in result["regressions"]]


def assets(model: str, card: modelcard.Card, tag: str, sha: str) -> dict[str, bytes]:
    record = lineage.collect(model, release=tag, commit=sha)  # read by `mlops_kit.serving.serve`
    return {
        Path(model).name: Path(model).read_bytes(),
        "metrics.json": METRICS.read_bytes(),
        "profile.json": PROFILE.read_bytes(),
        "MODEL_CARD.md": card.markdown.encode("utf-8"),
        "model_card.json": card.json_bytes(),
        "lineage.json": (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }


def check_remote() -> None:
    """Stop before any write when the configured DVC remote is a folder missing here (a
    cloud remote's credentials are checked by remote.sync, still before any release)."""
    found = read_config()
    if found and found["kind"] == "local" and not found["path"].is_dir():
        raise common.UserError(
            f"DVC remote '{found['name']}' is the folder {found['url']}, which does not exist "
            "here, so `dvc push` cannot run and nothing is published; point it at shared "
            f"storage (`dvc remote modify {found['name']} url <url>`) or create that folder"
        )


def publish(gh: GitHub, dry_run: bool = False) -> int:
    name, model = artifact() if not many.applies() else ("", "")
    sha = git("rev-parse", "HEAD")
    worktree.require_reviewed(sha)
    check_remote()
    if many.applies():
        return many.publish(gh, sha, dry_run, lambda: sync.sync("push"))
    metrics, validation = inputs(model)
    rules = common.load_params("compare").get("metrics", {})

    def card(version: str) -> modelcard.Card:
        return modelcard.from_project(name, version, sha, model, gh)

    registry = Registry(gh, name)
    existing = registry.release_at(sha)
    if existing and not existing.get("draft"):
        version = existing["tag_name"].split("@", 1)[1]
        files = assets(model, card(version), existing["tag_name"], sha)
        github_release.upload(gh, existing, files, replace=False, dry_run=dry_run)
        print(f"already published as {existing['tag_name']}")
        return 0
    published = registry.published()
    problems = regressions(gh, published, metrics, rules)
    for problem in problems:
        print(f"::error::Not publishing: {problem}")
    if problems:
        return 1
    tag = existing["tag_name"] if existing else f"{name}@{text(registry.version_for(sha))}"
    version = tag.split("@", 1)[1]
    github_release.require_commit(gh, sha)
    against = f"no metric worse than {published['tag_name']}" if published else "first version"
    if dry_run:
        print(f"would publish {tag} at {sha[:7]} ({against}): dvc push, draft, 6 assets, tag")
        return 0
    made = card(version)  # before the push: a report the card cannot read stops here
    files = assets(model, made, tag, sha)
    code = sync.sync("push")
    if code:
        return code
    release = github_release.publish(gh, registry, tag, sha, files, made.markdown)
    print(f"published {tag} at {sha[:7]} ({against}): {release.get('html_url', '')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="show what would happen")
    parser.add_argument("--repair", metavar="TAG", help="withdraw a champion that is broken")
    args = parser.parse_args(argv)
    try:
        gh = GitHub()
        if not gh.token and not args.dry_run:
            raise common.UserError("set GITHUB_TOKEN to a token that may create releases")
        if args.repair:
            name, model = artifact()
            expected = [Path(model).name, "metrics.json", "MODEL_CARD.md"]
            return champion.repair(gh, name, args.repair, expected)
        return publish(gh, args.dry_run)
    except common.UserError as exc:
        return common.fail(exc, 1)
    except GitHubError as exc:
        print(f"::error::Publishing stopped: {exc}; {advice(exc)}")
        return 1


def advice(exc: GitHubError) -> str:
    if "rate limit" in str(exc).lower():
        return "GitHub's rate limit for this token is used up: run the publish again later"
    if exc.status in (401, 403, 404) and not exc.unknown:
        return "check that GITHUB_TOKEN may write this repository's releases (contents: write)"
    return "nothing half-made is public: run the publish again on this commit to finish it"


if __name__ == "__main__":
    raise SystemExit(main())
