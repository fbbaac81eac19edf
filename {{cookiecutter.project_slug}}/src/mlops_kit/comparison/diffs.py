"""What DVC says changed between a baseline git revision and the workspace.

`dvc metrics diff` and `dvc params diff` read both revisions from git, parse the files and
flatten nested keys (`train.random_forest.n_estimators`); this module runs each of them once
and reshapes their JSON. DVC reports an absent key and a null value alike, as null (None).
Between two commits (an experiment and its baseline), the same rows come from the files git
holds at each (`*_between`): no DVC process, so a sweep of many experiments is read at once.
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


def json_at(rev: str, path: str | Path) -> Any:
    """The JSON in ``path`` at ``rev``; None when that commit has no such file."""
    text = file_at(rev, path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise common.UserError(f"{path} at {rev[:7]} is not valid JSON") from None


def yaml_at(rev: str, path: str | Path) -> dict[str, Any]:
    """The mapping in the YAML file ``path`` at ``rev`` ({} when absent or not a mapping)."""
    import yaml

    text = file_at(rev, path)
    try:
        found = yaml.safe_load(text) if text else {}
    except yaml.YAMLError as exc:
        raise common.UserError(f"{path} at {rev[:7]} is not valid YAML: {exc}") from None
    return found if isinstance(found, dict) else {}


def metrics_between(old_rev: str, new_rev: str, path: str | Path) -> tuple[dict, dict | None]:
    """As metrics(), with the file at ``new_rev`` in place of the workspace's."""
    new, old = json_at(new_rev, path), json_at(old_rev, path)
    new = flatten(new) if isinstance(new, dict) else {}
    return new, (flatten(old) or None) if isinstance(old, dict) else None


def params_between(old_rev: str, new_rev: str, path: str | Path) -> list[dict[str, Any]]:
    """As params(), with the file at ``new_rev`` in place of the workspace's."""
    old, new = flatten(yaml_at(old_rev, path)), flatten(yaml_at(new_rev, path))
    keys = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    return [{"key": key, "old": old.get(key), "new": new.get(key)} for key in keys]
