"""Whether a downloaded model is the one git says was released, before anything loads it.

Loading a joblib (pickle) file runs code from it, so a downloaded model is checked against
something its release cannot change: this checkout's git. The release's tag, resolved here
(`git rev-parse <tag>^{commit}`), names a commit; that commit's dvc.lock (`git show
<commit>:dvc.lock`) records the md5 of `models/model.joblib` (the train stage's out); the
download's md5 must be that one (and so for each other file checked: reports/profile.json and
reports/metrics.json, outs of the evaluate stage). The release's own digests (GitHub's
`digest`, lineage.json) can be replaced by whoever can replace its assets, so they are only
extra checks (download.py). A model of a many-models release is checked the same way against
reports/models.json at its version tag (`recorded`, release_models.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from typing import Any

from mlops_kit import common

MODEL_PATH = "models/model.joblib"
SHA = re.compile(r"[0-9a-f]{40}")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def tag_commit(tag: str) -> str:
    """The commit ``tag`` points to in this checkout."""
    if _git("rev-parse", "--git-dir").returncode:
        raise common.UserError(
            f"{tag}: not in a git checkout, so the model cannot be checked against git; run it "
            "from the project's clone (`git fetch --tags`)"
        )
    found = _git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}" + "^{commit}")
    if found.returncode or not SHA.fullmatch(found.stdout.strip()):
        raise common.UserError(
            f"tag {tag} is not in this checkout, so its model cannot be checked against git; "
            "`git fetch --tags` and run again"
        )
    return found.stdout.strip()


def locked_md5s(
    commit: str, tag: str, paths: list[str], refuse: str = "not serving it"
) -> dict[str, str]:
    """{path: the md5 that dvc.lock at ``commit`` records for it}, for each of ``paths``."""
    import yaml

    shown = _git("show", f"{commit}:./dvc.lock")  # the project folder's, as `dvc` reads it
    if shown.returncode:
        raise common.UserError(f"{tag} (commit {commit[:7]}) has no dvc.lock; {refuse}")
    try:
        lock = yaml.safe_load(shown.stdout)
    except yaml.YAMLError:
        raise common.UserError(f"dvc.lock at {tag} is not valid YAML; {refuse}") from None
    found: dict[str, str] = {}
    stages = (lock or {}).get("stages") if isinstance(lock, dict) else None
    for stage in (stages or {}).values() if isinstance(stages, dict) else []:
        for out in (stage or {}).get("outs") or [] if isinstance(stage, dict) else []:
            if isinstance(out, dict) and out.get("path") in paths:
                md5 = str(out.get("md5") or "")
                if re.fullmatch(r"[0-9a-f]{32}", md5):
                    found.setdefault(out["path"], md5)
    for path in paths:
        if path not in found:
            raise common.UserError(
                f"dvc.lock at {tag} records no md5 for {path}, so the download cannot be "
                f"checked against git; {refuse}"
            )
    return found


def same_commit(
    tag: str,
    commit: str,
    release: dict[str, Any],
    record: dict[str, Any],
    refuse: str = "not serving it",
) -> None:
    """Refuse a release whose target commit or lineage.json commit is not the tag's."""
    claims = {
        "the release's target_commitish": release.get("target_commitish"),
        "lineage.json's commit": record.get("commit"),
    }
    for what, claimed in claims.items():
        if isinstance(claimed, str) and SHA.fullmatch(claimed) and claimed != commit:
            raise common.UserError(
                f"{what} {claimed[:7]} is not {commit[:7]}, the commit of {tag} here; {refuse}"
            )
        if what.startswith("lineage") and claimed is not None and not isinstance(claimed, str):
            raise common.UserError(f"lineage.json of {tag} has no commit id; {refuse}")


def recorded(commit: str, tag: str, path: str, refuse: str) -> dict[str, Any]:
    """The models that ``path`` (reports/models.json) records at ``commit``: {name: entry}."""
    shown = _git("show", f"{commit}:./{path}")
    try:
        found = json.loads(shown.stdout) if not shown.returncode else None
    except ValueError:
        found = None
    models = found.get("models") if isinstance(found, dict) else None
    if not isinstance(models, dict):
        raise common.UserError(f"{tag} (commit {commit[:7]}) has no readable {path}; {refuse}")
    return models


def verify(
    tag: str,
    data: bytes,
    expected_md5: str,
    asset: str = "model.joblib",
    what: str = "model",
    recorder: str = "dvc.lock",
) -> None:
    """Refuse ``data`` unless its md5 is the one git's dvc.lock (``recorder``) records."""
    actual = hashlib.md5(data).hexdigest()
    if actual != expected_md5:
        raise common.UserError(
            f"{asset} of {tag} has md5 {actual[:12]}..., not {expected_md5[:12]}... that "
            f"{recorder} records at {tag} in git: not the released {what}; not loading it"
        )
