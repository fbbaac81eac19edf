"""What DVC says changed between a baseline git revision and the workspace.

`dvc metrics diff` and `dvc params diff` read both revisions from git, parse the files and
flatten nested keys (`train.random_forest.n_estimators`); this module runs each of them once
and reshapes their JSON. DVC reports an absent key and a null value alike, as null (None).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.remote.sync import executable


def known(rev: str) -> bool:
    """Whether ``rev`` names a commit in this clone (a shallow clone may lack the base)."""
    command = ["git", "rev-parse", "--verify", "--quiet", rev + "^{commit}"]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def dvc_json(*args: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The JSON a `dvc ... --json` diff prints: {file: {key: {"old", "new"[, "diff"]}}}."""
    shown = "dvc " + " ".join(args)
    try:
        result = subprocess.run(
            [executable(), *args, "--json"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DVC_NO_ANALYTICS": "1"},
        )
    except FileNotFoundError:
        raise common.UserError("dvc is not installed; run in the project's environment") from None
    errors = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    if result.returncode:
        raise common.UserError(f"`{shown}` failed: {(errors or ['no message'])[-1]}")
    try:
        found = json.loads(result.stdout or "{}")
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise common.UserError(f"`{shown}` printed no JSON object: {result.stdout[:200]!r}")
    return found


def _rows(found: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The rows of every file in one mapping (each diff here has a single target)."""
    return {key: row for rows in found.values() for key, row in (rows or {}).items()}


def metrics(rev: str, path: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(metrics in the workspace, metrics at ``rev``) of the file ``path``; the second is
    None when ``rev`` has no such file or no value in it."""
    rows = _rows(dvc_json("metrics", "diff", rev, "--all", "--targets", str(path)))
    new = {key: row.get("new") for key, row in rows.items()}
    old = {key: row["old"] for key, row in rows.items() if row.get("old") is not None}
    return new, old or None


def params(rev: str, path: str | Path) -> list[dict[str, Any]]:
    """Every parameter of the file ``path`` that differs from ``rev``, as {key, old, new}
    (None where the key is absent or null), by dotted key."""
    rows = _rows(dvc_json("params", "diff", rev, "--targets", str(path)))
    return [
        {"key": key, "old": row.get("old"), "new": row.get("new")}
        for key, row in sorted(rows.items())
    ]


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics as DVC shows them: one dotted key per value (`test.f1`)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def file_at(rev: str, path: str | Path) -> str | None:
    """The text of ``path`` (relative to the current folder) at ``rev``; None if absent."""
    command = ["git", "show", f"{rev}:./{Path(path).as_posix()}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None
