"""Every model of a many-models project against the baseline's: reports/models.json at the
baseline commit against the workspace's (or an experiment's), for compare.json's `models`.

A model is new, removed, unchanged (the same `fingerprint` and `md5` at both) or changed. A
changed model's metrics are judged by gate.py with the baseline's `compare.metrics`, as the
aggregate's are: ``regressed`` when a gated metric got worse beyond its tolerance, else
``within`` (tolerance) when none got better or one got worse within its tolerance, else
``improved``. A model skipped for too few rows is listed with its reason. The gate fails
when more models regressed than `compare.models.allow_worse` (at the baseline) allows.
Regressed models come worst first: by how far beyond its tolerance the first metric of
`compare.metrics` got worse (a metric that became undefined counts as the worst), then
the next one, then by name.
"""

from __future__ import annotations

import math
from typing import Any

from mlops_kit import common
from mlops_kit.comparison import diffs, gate, model_params
from mlops_kit.reporting.markdown import one_line

MODELS = "reports/models.json"
ORDER = ("regressed", "within", "improved", "new", "removed", "unchanged")
COUNTED = (*ORDER, "skipped")
NAMED = 5  # names in compare's note; the report and the tables list more


def check_rules(rules: Any) -> dict[str, Any]:
    """Validate `compare.models`: {allow_worse: a whole number >= 0} (default 0)."""
    rules = {} if rules is None else rules
    if not isinstance(rules, dict):
        raise common.UserError("params.yaml: compare.models must be a mapping (allow_worse: 0)")
    allowed = rules.get("allow_worse", 0)
    if not isinstance(allowed, int) or isinstance(allowed, bool) or allowed < 0:
        raise common.UserError("params.yaml: compare.models.allow_worse must be an integer >= 0")
    return rules


def listing(data: Any, where: str) -> dict[str, dict[str, Any]] | None:
    """The `models` and `skipped` mappings (name -> entry) of a models.json, checked; None
    for None (no such file)."""
    if data is None:
        return None
    entries = data.get("models") if isinstance(data, dict) else None
    skipped = (data.get("skipped") or {}) if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not isinstance(skipped, dict):
        raise common.UserError(f"{where} holds no `models` mapping of names to entries")
    shape = [e for e in (*entries.values(), *skipped.values()) if not isinstance(e, dict)]
    if shape:
        raise common.UserError(f"{where}: every model's entry must be a mapping")
    return {"models": entries, "skipped": skipped}


def metrics_of(entry: dict[str, Any] | None) -> dict[str, Any]:
    found = (entry or {}).get("metrics")
    return diffs.flatten(found) if isinstance(found, dict) else {}


def shown_metrics(old: dict, new: dict, rules: dict) -> list[str]:
    """The gated metrics any model has; with no rules, every metric any model has."""
    seen: set[str] = set()
    for entry in (*old.values(), *new.values()):
        seen.update(metrics_of(entry))
    return [n for n in rules if n in seen] if rules else sorted(seen)


def excess(row: dict[str, Any]) -> float:
    """How far beyond its tolerance a regressed metric got worse (inf: now undefined)."""
    if not gate.number(row["new"]):
        return math.inf
    loss = row["old"] - row["new"] if row["direction"] == "higher" else row["new"] - row["old"]
    return loss - row["tolerance"]


def judge_one(name: str, old: dict | None, new: dict | None, rules: dict, shown: list[str]):
    """One model's row: its name, status, and each shown metric's old, new, change and
    status; for a regressed one, `excess`: how far beyond its tolerance each regressed metric
    got worse (null when it became undefined)."""
    if old is None or new is None:
        status = "new" if old is None else "removed"
    elif old.get("fingerprint") and (old.get("fingerprint"), old.get("md5")) == (
        new.get("fingerprint"),
        new.get("md5"),
    ):
        status = "unchanged"
    else:
        status = None
    judged = gate.judge(metrics_of(new), metrics_of(old) if old is not None else None, rules)
    rows = {r["metric"]: r for r in judged["metrics"] if r["metric"] in shown}
    found: dict[str, Any] = {"model": name, "status": status}
    if status is None:
        gated = [r["status"] for r in rows.values() if r["gated"]]
        found["status"] = (
            "regressed"
            if "regressed" in gated
            else "improved"
            if "better" in gated and "worse" not in gated
            else "within"
        )
    keep = ("old", "new", "change", "status")
    found["metrics"] = {m: {k: r[k] for k in keep} for m, r in rows.items()}
    if status == "removed":
        for row in found["metrics"].values():
            row.update(new=None, change=None, status="removed")
    if found["status"] == "regressed":
        beyond = {m: excess(r) for m, r in rows.items() if r["status"] == "regressed"}
        found["excess"] = {m: None if math.isinf(v) else common.sig(v) for m, v in beyond.items()}
        found["_key"] = [-beyond.get(m, 0.0) for m in rules] + [name]
    return found


def judge(
    new_data: Any,
    old_data: Any,
    rules: dict[str, Any],
    allowed: dict[str, Any],
    where: str = MODELS,
) -> dict[str, Any]:
    """compare.json's `models`: every model of ``new_data`` and ``old_data`` (the two
    models.json; ``old_data`` None when the baseline has none), judged with ``rules``
    (`compare.metrics`) and ``allowed`` (`compare.models`)."""
    new = listing(new_data, where)
    old = listing(old_data, f"{where} at the baseline")
    before = (old or {}).get("models", {})
    shown = shown_metrics(before, new["models"], rules)
    names = sorted(set(before) | set(new["models"]))
    rows = [judge_one(n, before.get(n), new["models"].get(n), rules, shown) for n in names]
    rank = {status: i for i, status in enumerate(ORDER)}
    rows.sort(key=lambda r: (rank[r["status"]], r.pop("_key", [])))
    skipped = [
        {"model": str(name), "rows": e.get("rows"), "reason": e.get("reason")}
        for name, e in sorted(new["skipped"].items())
    ]
    for row in rows:
        reason = new["skipped"].get(row["model"], {}).get("reason")
        if row["status"] == "removed" and reason is not None:
            row["skipped"] = reason
    counts = {status: 0 for status in COUNTED}
    for row in rows:
        counts[row["status"]] += 1
    counts["skipped"] = len(skipped)
    regressed = [r["model"] for r in rows if r["status"] == "regressed"]
    allow = check_rules(allowed).get("allow_worse", 0)
    return {
        "baseline_found": old is not None,
        "metrics": shown,
        "counts": counts,
        "allow_worse": allow,
        "regressed": regressed,
        "failed": len(regressed) > allow,
        "models": rows,
        "skipped": skipped,
    }


def names(found: list[str], most: int = NAMED) -> str:
    """Up to ``most`` names on one line each (they are the data's text), then how many more."""
    shown = ", ".join(one_line(name, 60) for name in found[:most])
    return shown + (f" and {len(found) - most} more" if len(found) > most else "")


def note(found: dict[str, Any], sha: str | None, where: str = MODELS) -> str:
    """The models' part of compare's note."""
    counts, allow = found["counts"], found["allow_worse"]
    if not found["baseline_found"]:
        at = f"at {sha[:7]}" if sha else "without a baseline commit"
        return f"no {where} {at}: all {counts['new']} models are new, none is gated"
    if not found["regressed"]:
        return f"none of the {sum(counts[s] for s in ORDER)} models got worse beyond tolerance"
    count = len(found["regressed"])
    share = f"{count} model{'' if count == 1 else 's'} worse than the baseline beyond tolerance"
    verdict = "" if found["failed"] else f", within compare.models.allow_worse ({allow})"
    return f"{share}{verdict}: {names(found['regressed'])}"


def compare(
    new_data: Any,
    sha: str | None,
    rules: dict[str, Any],
    allowed: dict[str, Any],
    params: tuple[dict, dict] | None,
    where: str = MODELS,
) -> dict[str, Any]:
    """`models` of compare.json against the baseline commit ``sha`` (None: none known);
    ``params``: (the baseline's params.yaml, the new one) when known."""
    old_data = diffs.json_at(sha, where) if sha else None
    found = judge(new_data, old_data, rules if old_data is not None else {}, allowed, where)
    found["note"] = note(found, sha, where)
    found["params"] = model_params.changes(*params) if params else None
    return found
