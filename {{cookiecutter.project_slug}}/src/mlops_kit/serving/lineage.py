"""Where a model comes from, as one JSON document: lineage.json.

    python -m mlops_kit.serving.lineage --model models/model.joblib --out lineage.json

The commit, the training data's path and DVC hash and the parameters it was trained with
(both from dvc.lock), its metrics and the data validation summary (reports/), the library
versions installed here, the expectation suite its inputs must meet and the digests of the
reference profile (reports/profile.json) the monitor compares batches with. Publishing attaches
it to each release (with the release tag); the model service answers it at /metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.modelcard import libraries

REPORTS = {"metrics": "reports/metrics.json", "validation": "reports/validation.json"}
SUITE = "expectations/suite.json"
PROFILE = "reports/profile.json"  # the reference profile the monitor compares batches with


def digests(data: bytes) -> dict[str, str]:
    """The model file's md5 (DVC's hash) and sha256 (GitHub's asset digest)."""
    return {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}


def head_commit(root: Path) -> str | None:
    """The checked-out commit, or None outside a git repository."""
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _stage(lock: dict[str, Any], name: str) -> dict[str, Any]:
    return ((lock or {}).get("stages") or {}).get(name) or {}


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    return {"path": entry.get("path"), "md5": entry.get("md5"), "size": entry.get("size")}


def from_lock(lock: dict[str, Any], model_path: str) -> dict[str, Any]:
    """The training data, raw data, model hash and training parameters dvc.lock records."""
    train = _stage(lock, "train")
    model = next((o for o in train.get("outs") or [] if o.get("path") == model_path), {})
    data = [d for d in train.get("deps") or [] if not str(d.get("path", "")).startswith("src/")]
    raw = (_stage(lock, "ingest").get("outs") or [{}])[0]
    params = {}
    for stage in ("prepare", "train"):
        params.update((_stage(lock, stage).get("params") or {}).get("params.yaml") or {})
    return {
        "training_data": [_data(entry) for entry in data],
        "raw_data": _data(raw) if raw else None,
        "params": params,
        "locked_model_md5": model.get("md5"),
    }


def collect(
    model_path: str,
    *,
    root: str | Path = ".",
    release: str | None = None,
    commit: str | None = None,
) -> dict[str, Any]:
    """The lineage of the model file at ``model_path`` in the project at ``root``."""
    import yaml

    root = Path(root)
    model_file = root / model_path
    if not model_file.is_file():
        raise common.UserError(f"{model_file} not found; run `dvc repro` (or `dvc pull`) first")
    lock_file = root / "dvc.lock"
    lock = yaml.safe_load(lock_file.read_text(encoding="utf-8")) if lock_file.is_file() else {}
    locked = from_lock(lock, model_path)
    model = {"path": model_path, **digests(model_file.read_bytes())}
    model["matches_dvc_lock"] = model["md5"] == locked.pop("locked_model_md5")
    reports = {
        key: common.read_json(root / path) if (root / path).is_file() else None
        for key, path in REPORTS.items()
    }
    suite, profile = root / SUITE, root / PROFILE
    reference = {"path": PROFILE, **digests(profile.read_bytes())} if profile.is_file() else None
    return {
        "release": release,
        "commit": commit or head_commit(root),
        "model": model,
        **locked,
        **reports,
        "libraries": libraries.installed(),
        "suite": common.read_json(suite) if suite.is_file() else None,
        "profile": reference,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/model.joblib", help="the model file")
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--release", help="the release tag, e.g. model@v1.2.0")
    args = parser.parse_args(argv)
    try:
        found = collect(args.model, release=args.release)
    except common.UserError as exc:
        return common.fail(exc)
    common.write_json(args.out, found, sort_keys=False)
    print(f"lineage: {args.model} at {found['commit']} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
