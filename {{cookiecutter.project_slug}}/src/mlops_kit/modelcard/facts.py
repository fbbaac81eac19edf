"""Everything a model card says, as one JSON document (the release's model_card.json).

MODEL_CARD.md is rendered from it (modelcard.py), its front matter too (cardfront.py), so
the two never disagree. Files the evaluate stage may write, reports/slices.json (metrics
with confidence intervals, per slice) and reports/explain.json (feature importance,
partial dependence), are read when present and recorded as None when not.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from mlops_kit import common
from mlops_kit.modelcard import libraries as versions

SCHEMA = 1
INTENDED_USE = Path("docs/model_card/intended_use.md")
SLICES, EXPLAIN = Path("reports/slices.json"), Path("reports/explain.json")
VALIDATION_KEYS = ("success", "evaluated", "successful", "unsuccessful", "rows", "failed")


def _stage_out(lock: dict[str, Any] | None, stage: str, path: str | None = None) -> dict | None:
    """{"path", "md5", "size"} of an output of ``stage`` in dvc.lock (its first, or ``path``)."""
    outs = (((lock or {}).get("stages") or {}).get(stage) or {}).get("outs") or []
    for out in outs:
        if isinstance(out, dict) and (path is None or out.get("path") == path):
            return {"path": out.get("path"), "md5": out.get("md5"), "size": out.get("size")}
    return None


def _flat(metrics: Any, prefix: str = "") -> dict[str, Any]:
    """metrics.json as {"name": value}, nested sections joined with dots."""
    found: dict[str, Any] = {}
    for key, value in (metrics if isinstance(metrics, dict) else {}).items():
        if isinstance(value, dict):
            found.update(_flat(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def metric_rows(metrics: Any, slices: dict | None) -> list[dict[str, Any]]:
    """Each metric with its interval from slices.json's `overall`, when there is one."""
    overall = (slices or {}).get("overall")
    overall = overall if isinstance(overall, dict) else {}
    rows = []
    for name, value in sorted(_flat(metrics).items()):
        interval = overall.get(name) if isinstance(overall.get(name), dict) else {}
        rows.append(
            {"name": name, "value": value, "low": interval.get("low"), "high": interval.get("high")}
        )
    return rows


def _objects(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(item, dict) for item in items)


def _optional_json(path: Path, lists: tuple[str, ...]) -> dict[str, Any] | None:
    """The JSON object in ``path``, whose ``lists`` are lists of objects; None without it."""
    if not path.is_file():
        return None
    found = common.read_json(path)
    bad = "holds no JSON object" if not isinstance(found, dict) else None
    for key in lists if bad is None else ():
        items = found.get(key) or []
        if not _objects(items) or not all(_objects(i.get("values") or []) for i in items):
            bad = f"has a `{key}` that is not a list of objects"
    if bad:
        raise common.UserError(f"{path} {bad}; run `dvc repro` to write it again")
    return found


def license_of(project: dict[str, Any]) -> str:
    """pyproject.toml's license expression (`project.license`), or "unknown"."""
    found = project.get("license")
    if isinstance(found, dict):
        found = found.get("text")
    return str(found) if found else "unknown"


def collect(
    *,
    name: str,
    version: str,
    commit: str,
    model_path: str,
    approvals: dict[str, Any],
    libraries: dict[str, str | None] | None = None,
    pins: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The card's data, from the project in the current folder."""
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    params = common.read_params()
    ingest = params.get("ingest") or {}
    lock_file = Path("dvc.lock")
    lock = yaml.safe_load(lock_file.read_text(encoding="utf-8")) if lock_file.is_file() else None
    validation = common.read_json("reports/validation.json")
    slices = _optional_json(SLICES, ("slices",))
    intended = INTENDED_USE.read_text(encoding="utf-8") if INTENDED_USE.is_file() else None
    return {
        "schema": SCHEMA,
        "model": {
            "name": name,
            "version": version,
            "tag": f"{name}@{version}",
            "commit": commit,
            "file": model_path,
            "dvc": _stage_out(lock, "train", model_path),
            "description": str(project.get("description") or ""),
            "license": license_of(project),
            "task": str(ingest.get("task") or "classification"),
            "target": str(ingest.get("target") or "?"),
        },
        "intended_use": {"path": str(INTENDED_USE), "text": intended},
        "data": {
            "source": str(ingest.get("source") or "?"),
            "raw": _stage_out(lock, "ingest"),
            "prepared": _stage_out(lock, "prepare"),
            "rows": validation.get("rows"),
            "validation": {key: validation.get(key) for key in VALIDATION_KEYS},
        },
        "params": {key: params[key] for key in ("prepare", "train") if key in params},
        "metrics": metric_rows(common.read_json("reports/metrics.json"), slices),
        "slices": slices,
        "explanations": _optional_json(EXPLAIN, ("features", "groups", "partial_dependence")),
        "libraries": {
            "installed": libraries if libraries is not None else versions.installed(),
            "locked": pins if libraries is not None else versions.locked("uv.lock"),
        },
        "approvals": approvals,
    }
