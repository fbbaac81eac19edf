"""The slice gate: judge the gaps in reports/slices.json with the rules under `compare.slices`.

A rule {metric: {max_gap: >= 0}} bounds the largest gap of that metric between the slices
of each sliced column. The gap comes with a bootstrap interval (the evaluate stage's
slices.py), and small slices make it wide: 0.08 between two slices of 40 rows can be
anything from 0.01 to 0.4. So a rule fails only when the interval shows the limit is
broken (its low end is above max_gap), warns when the interval holds the limit, and passes
when the whole interval is below it. As with `compare.metrics`, the rules are read at the
baseline's commit, never from the change being judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.comparison import gate

SLICES = "reports/slices.json"


def check_rules(rules: Any) -> dict[str, dict[str, Any]]:
    """Validate `compare.slices`: {metric: {max_gap: a number >= 0}}."""
    if not isinstance(rules, dict):
        raise common.UserError("params.yaml: compare.slices must map metric names to rules")
    for name, rule in rules.items():
        limit = rule.get("max_gap") if isinstance(rule, dict) else None
        if not gate.number(limit) or limit < 0 or set(rule) != {"max_gap"}:
            raise common.UserError(
                f"params.yaml: compare.slices.{name} needs max_gap: a number >= 0 (and no "
                "other key)"
            )
    return rules


def verdict(gap: dict[str, Any], limit: float) -> str:
    """fail (the interval is above the limit), warn (it holds the limit) or pass."""
    low, high = gap.get("low"), gap.get("high")
    if not gate.number(low) or not gate.number(high):
        return "warn" if gate.number(gap.get("value")) and gap["value"] > limit else "pass"
    if low > limit + gate.EPSILON:
        return "fail"
    return "warn" if high > limit + gate.EPSILON else "pass"


def judge(report: dict[str, Any] | None, rules: Any) -> dict[str, Any]:
    """One row per (sliced column, ruled metric), the failures, and the slices themselves
    (for the pull-request comment, which reads compare.json only)."""
    rules = check_rules(rules)
    rows, unjudged = [], []
    for column in (report or {}).get("slices") or []:
        for metric, rule in rules.items():
            gap = (column.get("gaps") or {}).get(metric)
            if gap is None:
                unjudged.append({"column": column.get("column"), "metric": metric})
                continue
            state = verdict(gap, rule["max_gap"])
            rows.append(
                {"column": column.get("column"), "metric": metric, "max_gap": rule["max_gap"]}
                | {k: gap.get(k) for k in ("value", "low", "high", "between")}
                | {"status": state}
            )
    failed = [f"{row['metric']} by {row['column']}" for row in rows if row["status"] == "fail"]
    return {
        "found": report is not None,
        "confidence": (report or {}).get("confidence"),
        "min_size": (report or {}).get("min_size"),
        "rules": rows,
        "unjudged": unjudged,
        "failed": failed,
        "passed": not failed,
        "slices": (report or {}).get("slices") or [],
    }


def read(path: str | Path) -> dict[str, Any] | None:
    """reports/slices.json, or None when the evaluate stage has not written one."""
    if not Path(path).is_file():
        return None
    found = common.read_json(path)
    if not isinstance(found, dict):
        raise common.UserError(f"{path} does not hold a JSON object; run `dvc repro evaluate`")
    return found


def describe(row: dict[str, Any]) -> str:
    """One line naming a judged rule, the gap, its interval and the limit."""
    first, second = (list(row.get("between") or []) + ["?", "?"])[:2]
    where = {"fail": "all above", "warn": "holding"}.get(row["status"], "all below")
    return (
        f"{row['metric']} by {row['column']}: gap {row['value']} between {first} and "
        f"{second}, interval {row['low']} to {row['high']}, {where} max_gap {row['max_gap']}"
    )
