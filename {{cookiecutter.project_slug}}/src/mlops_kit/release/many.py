"""Publish a many-models project: one release `models-release-<N>` of the models that changed.

A model changed when its model.joblib's md5 differs from its last published version's (or it
was never published). Each changed model is judged against that version's metrics (the last
manifest's) by `compare.metrics`; a worse one is held back with one `::error::` line, the
others are published, and the run fails when more were held back than
`compare.models.allow_worse` allows. One release holds at most CAP models (GitHub allows
1000 assets a release; each model has 3), the first by name; a rerun on the same commit
publishes the rest. The release converges as a single model's does (github_release.py):
a draft, its assets and manifest.json uploaded and checked, an annotated tag
`<artifact>@vX.Y.Z` per model on the commit, then public: only models that models.json at
the commit records (`--release` checks them by it). A model gone from models.json leaves
the manifest (in a release of its own if need be): it lists the current models.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.comparison import gate
from mlops_kit.comparison import models as judged
from mlops_kit.github.client import GitHub
from mlops_kit.release import github_release, manifest
from mlops_kit.release.versions import Registry, next_version, text, version_of
from mlops_kit.reporting.markdown import annotation, one_line
from mlops_kit.serving import trust

MODELS, VALIDATION = Path("reports/models.json"), Path("reports/validation.json")
FOLDER = re.compile(r"models/shard-[0-9]+/[a-z0-9][a-z0-9._-]*")  # models.schema.json
CAP = 300  # models a release: 3 assets each, under GitHub's 1000 assets a release


def applies() -> bool:
    return MODELS.is_file()


class Tags(Registry):
    """Every git tag of the repository, read once; no model's releases (its methods that
    read ``releases`` are not for it)."""

    def __init__(self, gh: GitHub):
        self.gh, self.name, self.releases, self.looked = gh, "", [], set()
        found = gh.paginate(f"/repos/{gh.repo}/git/matching-refs/tags/")
        self.refs = {r["ref"].removeprefix("refs/tags/"): r["object"] for r in found}

    def tag_commit(self, tag: str) -> str | None:
        """The commit of ``tag``: from the first read, then from GitHub (after a write)."""
        if tag in self.looked:
            return super().tag_commit(tag)
        self.looked.add(tag)
        return self.commit_of(self.refs[tag]) if tag in self.refs else None

    def version(self, name: str, published: str | None, sha: str) -> str:
        """The tag of the model's next version; the one a stopped run left at ``sha``."""
        found = sorted(v for t in self.refs if (v := version_of(t, name)))
        last = f"{name}@{text(found[-1])}" if found else None
        if last and last != published and self.commit_of(self.refs[last]) == sha:
            return last
        return f"{name}@{text(next_version(found))}"


def inputs() -> dict[str, Any]:
    """models.json, once validation passed and every model's files are there."""
    for path in (MODELS, VALIDATION):
        if not path.is_file():
            raise common.UserError(f"{path} not found; run `dvc repro` (or `dvc pull`) first")
    validation = common.read_json(VALIDATION)
    if not isinstance(validation, dict) or validation.get("success") is not True:
        raise common.UserError(f"{VALIDATION}: data validation did not pass; not publishing")
    listing = common.read_json(MODELS)
    judged.listing(listing, str(MODELS))
    for name, entry in listing["models"].items():
        if not FOLDER.fullmatch(str(entry.get("path"))) or not entry.get("md5"):
            raise common.UserError(
                f"{MODELS}: the model {one_line(name)!r} has no md5 or a path that is not "
                "models/shard-<k>/<folder>; run `dvc repro` to write it again"
            )
        for file in manifest.FILES:
            if not (Path(entry["path"]) / file).is_file():
                where = f"{entry['path']}/{file}"
                raise common.UserError(f"{where} not found; run `dvc repro` (or `dvc pull`)")
    return listing


def held_back(changed: list[str], listing: dict, before: dict, rules: dict) -> dict[str, str]:
    """{name: why} of each changed model worse than its last published version."""
    found = {}
    for name in changed:
        if name in before:
            old = before[name]
            result = gate.judge(listing["models"][name]["metrics"], old["metrics"], rules)
            rows = {row["metric"]: row for row in result["metrics"]}
            why = [gate.describe(rows[m]) for m in result["regressions"]]
            if why:
                found[name] = f"{'; '.join(why)} against {old['tag']}"
    return found


def body(tag: str, sha: str, made: dict[str, Any], rest: int, gone: list[str]) -> str:
    lines = [f"{len(made)} models at {sha[:7]}; `manifest.json` lists every current model."]
    lines += ["", *(f"- `{entry['tag']}`" for entry in made.values())]
    if gone:  # their tags: GTO names, never the segment values
        lines += ["", "No longer in the project (dropped from the manifest):"]
        lines += [f"- `{tag}`" for tag in gone]
    if rest:
        lines += ["", f"{rest} more changed models are published by the next release."]
    return "\n".join(lines) + "\n"


def publish(gh: GitHub, sha: str, dry_run: bool, push) -> int:
    """The many-models publish of commit ``sha``; ``push`` runs `dvc push` (0 when done)."""
    listing = inputs()
    compare = common.load_params("compare")
    rules, allowed = compare.get("metrics", {}), judged.check_rules(compare.get("models"))
    releases = gh.paginate(f"/repos/{gh.repo}/releases?per_page=100")
    ours = [r for r in releases if manifest.number(r.get("tag_name"))]
    latest = manifest.latest(ours)
    try:
        before = manifest.read(gh, latest)["models"] if latest else {}
    except manifest.Unreadable as exc:
        raise common.UserError(
            f"{exc}, so nothing can be compared with it: mark that release a pre-release on "
            "GitHub (the one before it counts again) and publish again"
        ) from None
    models = listing["models"]
    changed = sorted(n for n in models if before.get(n, {}).get("md5") != models[n]["md5"])
    held = held_back(changed, listing, before, rules)
    for name, why in held.items():
        print(f"::error::Not publishing {annotation(name)}: {annotation(why, 400)}")
    failed = len(held) > allowed.get("allow_worse", 0)
    ready = [n for n in changed if n not in held]
    batch, rest = ready[:CAP], max(len(ready) - CAP, 0)
    gone = sorted(before[n]["tag"] for n in before if n not in models)
    if not batch and not gone:
        if latest and latest.get("target_commitish") == sha:
            files = {
                asset: path
                for entry in before.values()
                if entry["release"] == latest["tag_name"] and entry["name"] in models
                for asset, path in manifest.files(models[entry["name"]]).items()
            }
            github_release.upload(gh, latest, manifest.Files(files), replace=False, dry_run=dry_run)
            print(f"already published as {latest['tag_name']}")
        elif held:
            print(f"nothing published: the {len(held)} changed models are held back")
        else:
            print(f"no model changed since {latest['tag_name'] if latest else 'none published'}")
        return 1 if failed else 0
    recorded = trust.recorded(sha, sha[:7], str(MODELS), "commit it after `dvc repro`")
    at = {n: e.get("md5") for n, e in recorded.items() if isinstance(e, dict)}
    if stale := [n for n in batch if at.get(n) != models[n]["md5"]]:  # what --release trusts
        raise common.UserError(
            f"{MODELS} at {sha[:7]} does not record the models `dvc repro` made for "
            f"{judged.names(stale)}; commit dvc.lock and {MODELS} after `dvc repro`"
        )
    tags = Tags(gh)
    newest = manifest.number(latest["tag_name"]) if latest else 0
    drafts = [r for r in ours if r.get("draft") and r.get("target_commitish") == sha]
    drafts = [r for r in drafts if manifest.number(r["tag_name"]) > newest]  # else stale
    if drafts:  # left by a run that stopped (and nothing published since): finish it
        tag = min(drafts, key=lambda r: r["id"])["tag_name"]
    else:
        numbers = [manifest.number(t) or 0 for t in [*tags.refs, *(r["tag_name"] for r in ours)]]
        tag = f"models-release-{max(numbers, default=0) + 1}"
    github_release.require_commit(gh, sha)
    made = {}
    for name in batch:
        artifact = manifest.artifact(name)
        version = tags.version(artifact, before.get(name, {}).get("tag"), sha)
        made[name] = manifest.entry(name, models[name], version, tag)
    shown = ", ".join(
        ([judged.names(batch)] if batch else []) + ([f"{len(gone)} dropped"] if gone else [])
    )
    more = f"; {rest} more changed models wait for a rerun" if rest else ""
    if dry_run:
        print(f"would publish {len(batch)} models as {tag} at {sha[:7]}: {shown}{more}")
        return 1 if failed else 0
    found: dict[str, Path | bytes] = {
        a: p for n in batch for a, p in manifest.files(models[n]).items()
    }
    found[manifest.NAME] = manifest.dumps(manifest.build(tag, sha, listing, before, made))
    files = manifest.Files(found)
    code = push()
    if code:
        return code
    release = github_release.draft(gh, tag, sha, tag, body(tag, sha, made, rest, gone))
    github_release.upload(gh, release, files)
    github_release.verify(gh, release, files)
    for entry in made.values():
        message = f"Registering artifact {entry['artifact']} version {entry['version']}"
        github_release.tag(gh, tags, entry["tag"], sha, message)
    fields = {"tag_name": tag, "target_commitish": sha, "name": tag, "draft": False}
    done = gh.patch(f"/repos/{gh.repo}/releases/{release['id']}", fields)
    print(f"published {len(batch)} models as {tag} at {sha[:7]}: {done.get('html_url', '')}")
    if rest:
        print(f"{rest} more changed models: run the publish again on this commit to publish them")
    return 1 if failed else 0
