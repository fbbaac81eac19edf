"""Check a batch against every model of a many-models project (reports/models.json), or of
a release of its models (`--release models-release-<N>|latest`, many_release.py).

The batch holds the segment column (models.json's `segment_by`); its rows are split by the
column's values, each value's rows checked against that model's own profile (`<path>/
profile.json`) with drift.py's statistics, and, when the batch holds the target, scored with
that model's `<path>/model.joblib` against its test metrics (models.json). Each profile and
model is read once, in this process; a model with fewer rows than monitor.min_rows (none, too)
is too small to judge and nothing of it is read. Rows whose value names no model (unknown, or
in `skipped`: too few training rows) are counted, with a few of the values, never as drift.

Multiplicity: Holm's correction runs once, over every test of every model checked, so
monitor.alpha stays what it is for one model: the chance that a check of healthy models
raises any alarm at all, whether it checks 3 models or 10,000. Benjamini-Hochberg would only
bound the expected share of false alarms among the models flagged; Holm is chosen because
each flagged model is an alarm someone investigates (one false one in a healthy fleet is the
failure to avoid), because it needs no assumption about how the tests depend on each other
(KS and rank tests of a column are strongly dependent), and because its price is small: the
threshold alpha/N rises like sqrt(2 ln N) in z, from about 2.9 for 12 tests to 4.6 for
12,000, so a shift must be about 1.6 times larger to be seen in 1,000 models than in one. A
metric is judged at alpha shared among the models scored (Bonferroni, as performance.py
shares it among one model's metrics). A model is unhealthy when one of its columns or its
predictions drifted or a metric got worse beyond its `compare:` tolerance.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from mlops_kit import common
from mlops_kit.evaluation import predictions
from mlops_kit.monitoring import reference
from mlops_kit.segments import names

EXAMPLES = 5


def here(name: str, entry: dict) -> tuple[Path, Path, Any]:
    """(profile.json, model.joblib, the test metrics) of a model of this checkout."""
    folder = Path(entry["path"])
    return folder / "profile.json", folder / "model.joblib", entry.get("metrics")


def read_list(path: str) -> dict[str, Any]:
    """models.json, with what the check reads of it present and of its type."""
    found = common.read_json(path)
    if not isinstance(found, dict) or not isinstance(found.get("segment_by"), str):
        raise common.UserError(f"{path} has no 'segment_by'; run `dvc repro` to write it again")
    for key, default in (("models", None), ("skipped", {})):
        if not isinstance(found.get(key, default), dict):
            raise common.UserError(f"{path}: {key!r} is not a mapping; run `dvc repro` again")
    for name, entry in found["models"].items():
        where = entry.get("path") if isinstance(entry, dict) else None
        where = PurePosixPath(where) if isinstance(where, str) else None
        if where is None or not where.parts or where.is_absolute() or ".." in where.parts:
            raise common.UserError(f"{path}: model {name[:60]!r} has no relative 'path'")
    return found


def split(batch, column: str) -> dict[str | None, np.ndarray]:
    """The batch's row numbers by model name (None: the segment value is missing, as in
    training, where such rows train no model)."""
    import pandas as pd

    codes, values = pd.factorize(batch[column], use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(-1, len(values) + 1))
    found: dict[str | None, list[np.ndarray]] = {}
    for code in range(-1, len(values)):
        rows = order[bounds[code + 1] : bounds[code + 2]]
        if len(rows):
            name = None if code < 0 else names.name_of(values[code])  # as the pipeline names it
            found.setdefault(name, []).append(rows)
    return {name: np.sort(np.concatenate(parts)) for name, parts in found.items()}


def unmatched(rows: dict, models: dict, skipped: dict) -> dict[str, Any]:
    """The rows no model judges: of unknown values, of skipped ones, with no value."""
    out: dict[str, Any] = {"missing": int(len(rows.get(None, ())))}
    for kind, keep in (("unknown", lambda n: n not in skipped), ("skipped", skipped.__contains__)):
        names = sorted(n for n in rows if n is not None and n not in models and keep(n))
        count = int(sum(len(rows[n]) for n in names))
        out[kind] = {"rows": count, "segments": len(names), "examples": names[:EXAMPLES]}
    return out


def measured(name: str, entry: dict, part, settings: dict, monitor, files) -> tuple:
    """(its test metrics; the tests of one model's rows, not judged yet; its Predictions;
    rows to score). ``files(name, entry)``: its profile, model and metrics (``here``)."""
    try:
        profile, model_file, metrics = files(name, entry)
        ref = reference.read_profile(profile)
        reference.lacking(part, ref)
        model = predictions.load_model(model_file)
        score = isinstance(metrics, dict)
        return (metrics, ref, *monitor.measure(part, ref, model, settings, score))
    except common.UserError as exc:
        raise common.UserError(f"model {name[:60]!r}: {exc}") from None


def check(listed: dict, batch, settings: dict, params: dict, files, path: str) -> dict[str, Any]:
    """The monitoring result of every model of ``listed`` (models.json's body, read from
    ``path``) on ``batch``, each model's files from ``files`` (``here``)."""
    from mlops_kit.monitoring import monitor

    column, models, skipped = listed["segment_by"], listed["models"], listed.get("skipped") or {}
    if column not in batch.columns:
        raise common.UserError(f"the batch has no segment column {column!r} ({path})")
    rows = split(batch, column)
    results: dict[str, dict] = {}
    checked: dict[str, tuple] = {}
    for name, entry in models.items():
        mine = rows.get(name, np.array([], dtype=int))
        results[name] = {"status": "too small", "rows": int(len(mine)), "path": entry["path"]}
        if len(mine) >= settings["min_rows"]:
            part = batch.iloc[mine].reset_index(drop=True)
            checked[name] = (part, *measured(name, entry, part, settings, monitor, files))
    monitor.judge([c for found in checked.values() for c in found[3]], settings)
    rules = (params.get("compare") or {}).get("metrics") or {}
    scored = [name for name, found in checked.items() if found[5] is not None]
    alpha = settings["alpha"] / max(len(scored), 1)
    for name, (part, reference_metrics, ref, columns, made, labelled) in checked.items():
        metrics = []
        if labelled is not None:
            try:
                metrics = monitor.scores(made, labelled, part, ref, rules, reference_metrics, alpha)
            except common.UserError as exc:
                raise common.UserError(f"model {name[:60]!r}: {exc}") from None
        results[name].update(verdict(columns, metrics))
    return summarised(listed, results, unmatched(rows, models, skipped), len(batch), settings)


def verdict(columns: list[dict], metrics: list[dict]) -> dict[str, Any]:
    """One model's entry in monitor.json, from its judged columns and metrics."""
    drifted = [c for c in columns if c["drift"]]
    degraded = [m["metric"] for m in metrics if m["degraded"]]
    keep = ("column", "kind", "effect", "p_adjusted", "new_values", "unseen_examples")
    return {
        "status": "unhealthy" if drifted or degraded else "healthy",
        "drifted": [c["column"] for c in drifted],
        "degraded": degraded,
        "tests": sum(len(c["tests"]) for c in columns),
        "p_adjusted": min((c["p_adjusted"] for c in columns), default=1.0),
        "columns": [{key: c[key] for key in keep} for c in drifted],
        "metrics": metrics,
    }


def summarised(listed: dict, results: dict, outside: dict, rows: int, settings: dict) -> dict:
    """monitor.json's body: the settings, the summary, the models, the rows none judges."""
    count = {s: 0 for s in ("healthy", "unhealthy", "too small")}
    for found in results.values():
        count[found["status"]] += 1
    unhealthy = sorted(name for name, found in results.items() if found["status"] == "unhealthy")
    status = "unhealthy" if unhealthy else "healthy" if count["healthy"] else "too small"
    tests = sum(found.get("tests", 0) for found in results.values())
    summary = {"models": len(results), **count, "tests": tests, "unhealthy_models": unhealthy}
    flat = [" ".join(name.split())[:40] for name in unhealthy[:5]]
    note = f"{count['unhealthy']} of {len(results)} models unhealthy"
    note += f" ({', '.join(flat)}{', …' if len(unhealthy) > 5 else ''})" if flat else ""
    note += f", {count['too small']} too small to judge"
    if outside["unknown"]["rows"] + outside["skipped"]["rows"] + outside["missing"]:
        off = outside["unknown"]["rows"] + outside["skipped"]["rows"] + outside["missing"]
        note += f"; {off} rows of no model"
    return {
        "segment_by": listed["segment_by"],
        "task": listed.get("task"),
        "rows": rows,
        **settings,
        "correction": "holm",
        "status": status,
        "note": note,
        "summary": summary,
        "unmatched": outside,
        "models": results,
    }
