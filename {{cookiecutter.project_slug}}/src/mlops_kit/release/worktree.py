"""Publish only what was reviewed: the working tree must be the commit, but for the files
the pipeline writes.

The pipeline's declared outputs (each stage's `outs`, `metrics` and `plots` in dvc.yaml,
the top-level `plots` files, dvc.lock, and the `.gitignore` files DVC keeps beside
outputs) may differ from the commit, as `dvc repro` rewrites them; anything else that is
changed, staged or untracked (and not ignored by git) stops the publish.
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from mlops_kit import common


def _paths(entries: Any) -> list[str]:
    """Paths of a dvc.yaml list of outputs: plain strings or one-key mappings."""
    found = []
    for entry in entries or []:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict):
            found.extend(str(key) for key in entry)
    return found


def declared_outputs(path: str | Path = "dvc.yaml") -> set[str]:
    """The files and folders the pipeline writes, as POSIX paths relative to the project."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    found = {"dvc.lock"}
    for stage in (spec.get("stages") or {}).values():
        for key in ("outs", "metrics", "plots"):
            found.update(_paths((stage or {}).get(key)))
    plots = spec.get("plots") or []
    found.update(p for p in _paths(plots) if "/" in p or "." in p)  # files, not plot names
    return {str(PurePosixPath(p)) for p in found}


def allowed(path: str, outputs: set[str]) -> bool:
    """Whether ``path`` is a declared output, inside one, or a .gitignore beside one."""
    if path in outputs or any(path.startswith(f"{out}/") for out in outputs):
        return True
    parent = str(PurePosixPath(path).parent)
    return PurePosixPath(path).name == ".gitignore" and any(
        str(PurePosixPath(out).parent) == parent for out in outputs
    )


def changed() -> list[str]:
    """Every path `git status` reports: changed, staged, deleted or untracked."""
    result = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise common.UserError(f"git status failed: {result.stderr.strip()}")
    entries, paths = result.stdout.split("\0"), []
    while entries:
        entry = entries.pop(0)
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC" and entries:  # a rename or copy: its old path follows
            paths.append(entries.pop(0))
    return paths


def require_reviewed(sha: str, dvc_yaml: str | Path = "dvc.yaml") -> None:
    """Raise when the working tree differs from commit ``sha`` beyond the pipeline's outputs."""
    outputs = declared_outputs(dvc_yaml)
    extra = sorted(p for p in changed() if not allowed(p, outputs))
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise common.UserError(
            f"the working tree differs from commit {sha[:7]} in {shown}: only committed, "
            "reviewed files are published; commit them (or `git stash -u`) and publish again"
        )
