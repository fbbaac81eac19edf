"""What one training shard has to do: which of its models to fit, to score, or to keep.

The shard's models are the segments whose ``names.shard_of`` is K. Each has a fingerprint:
the hash of its training rows (rows.py), its settings (the plan's shared ones with its
override laid over them; ``n_jobs`` aside) and the training code (the owners' modules this
process loaded, the kit's training part, the libraries' versions). A model whose fingerprint
and file are those of the shard's manifest is kept; the others are fitted. Scoring has a
fingerprint of its own (the model, the test rows, ``evaluate:``'s bootstrap settings, the
kit's evaluation code), so a change there scores again without fitting again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.segments import by_shard, names, one_model, rows

KIT = Path(__file__).resolve().parents[1]
TRAIN_CODE = ("common.py", "pipeline/train.py", "segments")
SCORE_CODE = ("evaluation", "pipeline/evaluate.py", "segments/one_model.py")
# evaluate: settings of explain.json and slices.json, for the models of explain_models only
EXPLAINING = ("importance_repeats", "seed", "slices", "importance", "partial_dependence")
LIBRARIES = ("sklearn", "numpy", "pandas", "scipy", "joblib")


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def code_of(build, kit_parts) -> str:
    """The hash of the owners' modules loaded from ``build``'s package, of the kit's
    ``kit_parts`` (files or folders) and of the libraries' versions."""

    def spec_name(name: str, module) -> str:  # `python -m pkg.train` runs it as __main__
        return getattr(getattr(module, "__spec__", None), "name", None) or name

    package = spec_name(build.__module__, sys.modules.get(build.__module__)).split(".")[0]

    def owners(name: str, module) -> bool:
        name = spec_name(name, module)
        return (name == package or name.startswith(package + ".")) and bool(
            getattr(module, "__file__", None)
        )

    files = sorted({Path(m.__file__) for n, m in list(sys.modules.items()) if owners(n, m)})
    for part in kit_parts:
        path = KIT / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    versions = [getattr(sys.modules.get(lib), "__version__", None) for lib in LIBRARIES]
    contents = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    return digest(versions, [f.name for f in files], contents)


def survey(args, build) -> dict[str, Any]:
    """The shard's models, skipped segments and jobs (see the module)."""
    target, task, evaluate = common.stage_params("evaluate")
    plan = common.read_json(args.plan)
    if plan.get("shard") != args.shard:
        raise common.UserError(
            f"{args.plan} is the plan of shard {plan.get('shard')}, not {args.shard}; "
            "run `dvc repro` (the plan stage writes it)"
        )
    column, shards, least = plan["segment_by"], plan["shards"], plan["min_rows"]
    train_all = by_shard.read(args.train, column, args.shard, shards)
    test_all = by_shard.read(args.test, column, args.shard, shards)
    train_code, score_code = code_of(build, TRAIN_CODE), code_of(build, SCORE_CODE)
    boot = {k: evaluate.get(k) for k in ("bootstrap", "min_slice_size")}
    asked = {names.name_of(n) for n in evaluate.get("explain_models") or []}
    how = {k: evaluate.get(k) for k in EXPLAINING}
    train_parts = rows.split(train_all, column) if len(train_all) else {}
    test_parts = rows.split(test_all, column) if len(test_all) else {}
    train_hashes = rows.hashes(train_all, column) if train_parts else {}
    test_hashes = rows.hashes(test_all, column) if test_parts else {}
    no_rows = test_all.drop(columns=[column]).iloc[0:0]
    out = Path(args.out)
    manifest_path = out / "manifest.json"
    old = common.read_json(manifest_path).get("models", {}) if manifest_path.is_file() else {}
    models, skipped, jobs = {}, {}, []
    for name, train_rows in train_parts.items():
        test_rows = test_parts.get(name, no_rows)
        counts = {"train": len(train_rows), "test": len(test_rows)}
        override = plan["overrides"].get(name, {})
        settings = names.merge(plan["shared"], override)
        why = one_model.unusable(train_rows, target, task, least)
        if why is None and not len(test_rows):
            why = "no test rows (prepare.test_size)"
        if why:
            skipped[name] = {"rows": counts, "reason": why}
            continue
        fingerprint = digest(train_hashes[name], {**settings, "n_jobs": None}, train_code, task)
        explained = name in asked
        scoring = digest(fingerprint, test_hashes.get(name), boot, score_code, explained and how)
        folder = out / names.folder(name)
        before = old.get(name, {})
        kept = before.get("fingerprint") == fingerprint and unchanged(folder, before)
        entry = {"dir": folder.name, "rows": counts, "overrides": override}
        entry.update(fingerprint=fingerprint, scoring=scoring, data=train_hashes[name])
        scored = [one_model.METRICS] + ([one_model.EXPLAIN] if explained else [])
        if (
            kept
            and before.get("scoring") == scoring
            and all((folder / f).is_file() for f in scored)
        ):
            models[name] = {**before, **entry}
            continue
        if kept:
            entry.update(md5=before["md5"], size=before["size"], mtime_ns=before["mtime_ns"])
        models[name] = entry
        jobs.append((name, folder, train_rows, test_rows, not kept, settings, explained))
    return {
        "manifest": manifest_path,
        "models": models,
        "skipped": skipped,
        "jobs": jobs,
        "meta": {"segment_by": column, "shard": args.shard, "shards": shards},
        "context": (target, task, build, evaluate),
        "out": out,
        "threads": train_n_jobs(plan["shared"]),
    }


def unchanged(folder: Path, before: dict[str, Any]) -> bool:
    """Whether the model file is the one the manifest describes (md5 only when its size
    or time changed, e.g. after `dvc pull`)."""
    path = folder / one_model.MODEL
    if not path.is_file() or "md5" not in before:
        return False
    stat = path.stat()
    if (stat.st_size, stat.st_mtime_ns) == (before.get("size"), before.get("mtime_ns")):
        return True
    return stat.st_size == before.get("size") and one_model.md5(path) == before["md5"]


def train_n_jobs(shared: dict[str, Any]) -> int:
    from mlops_kit.pipeline import train

    return train.n_jobs(shared)
