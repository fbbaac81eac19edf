"""The gate: judge new metrics against a baseline's with the rules under `compare.metrics`.

A rule says which direction is better for a metric and how much worse, in absolute terms,
is still accepted: {direction: higher | lower, tolerance: >= 0}. Metrics without a rule are
reported but never block. CI (compare) and publishing (publish) both judge through here.
"""

from __future__ import annotations

import math
from typing import Any

from mlops_kit import common

EPSILON = 1e-9  # float noise: 0.90 - 0.88 is 0.020000000000000018


def check_rules(rules: Any) -> dict[str, dict[str, Any]]:
    """Validate `compare.metrics`: {metric: {direction: higher|lower, tolerance: >= 0}}."""
    if not isinstance(rules, dict):
        raise common.UserError("params.yaml: compare.metrics must map metric names to rules")
    for name, rule in rules.items():
        rule = rule if isinstance(rule, dict) else {}
        tolerance = rule.get("tolerance")
        if (
            rule.get("direction") not in ("higher", "lower")
            or not number(tolerance)
            or tolerance < 0
        ):
            raise common.UserError(
                f"params.yaml: compare.metrics.{name} needs direction: higher or lower, "
                "and tolerance: a number >= 0"
            )
    return rules


def number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def status_of(old: Any, new: Any, rule: dict[str, Any] | None) -> str:
    """better, same, worse (within tolerance), regressed, new, or changed (no rule)."""
    if not number(old):
        return "new" if number(new) else "same"
    if not number(new):
        return "regressed" if rule else "changed"
    change = new - old
    if abs(change) <= EPSILON:
        return "same"
    if rule is None:
        return "changed"
    loss = -change if rule["direction"] == "higher" else change
    if loss < 0:
        return "better"
    return "worse" if loss <= rule["tolerance"] + EPSILON else "regressed"


def judge(new: dict, old: dict | None, rules: Any, baseline: str | None = None) -> dict:
    """Rows for every metric of ``new`` and ``old`` (None: no baseline metrics), gated ones
    first, with the regressions and a one-line note."""
    rules = check_rules(rules)
    names = [n for n in rules if n in new or (old and n in old)]
    names += sorted((set(new) | set(old or {})) - set(names))
    metrics = []
    for name in names:
        before, after, rule = (old or {}).get(name), new.get(name), rules.get(name)
        change = common.sig(after - before) if number(before) and number(after) else None
        metrics.append(
            {
                "metric": name,
                "old": before,
                "new": after,
                "change": change,
                "direction": rule["direction"] if rule else None,
                "tolerance": rule["tolerance"] if rule else None,
                "gated": rule is not None,
                "status": status_of(before, after, rule) if old is not None else "new",
            }
        )
    regressions = [m["metric"] for m in metrics if m["status"] == "regressed"]
    if old is None:
        note = f"No baseline metrics at {baseline}; nothing to compare (first run?)"
        note = note if baseline else "No baseline revision given; nothing to compare"
    elif regressions:
        note = f"Worse than {baseline} beyond tolerance: {', '.join(regressions)}"
    else:
        note = f"No metric got worse than {baseline} beyond its tolerance"
    return {
        "baseline": baseline,
        "baseline_found": old is not None,
        "metrics": metrics,
        "regressions": regressions,
        "passed": not regressions,
        "note": note,
    }


def describe(row: dict[str, Any]) -> str:
    """One line naming a regressed metric, its old and new values, change and tolerance."""
    change = "n/a" if row["change"] is None else f"{row['change']:+g}"
    return (
        f"{row['metric']} {row['old']} -> {row['new']} (change {change}, "
        f"tolerance {row['tolerance']}, {row['direction']} is better)"
    )
