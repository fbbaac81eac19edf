"""Compare the workspace metrics and params with those of a baseline git revision.

    python -m <package>.compare --baseline main --metrics reports/metrics.json \\
        --out reports/compare.json

`--baseline none` (or '') means there is no baseline, e.g. on the first commit.
Exits 1 when a metric listed under `compare.metrics` in params.yaml got worse by more than
its tolerance; metrics not listed there are reported but never block.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import common

EPSILON = 1e-9  # float noise: 0.90 - 0.88 is 0.020000000000000018


def git(*args: str) -> str | None:
    """The output of a git command, or None when it fails."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def git_show(rev: str, path: str | Path) -> str | None:
    """The text of ``path`` at ``rev``; None when the revision or the file does not exist."""
    return git("show", f"{rev}:./{Path(path).as_posix().removeprefix('./')}")


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"train": {"seed": 1}} -> {"train.seed": 1}; lists and scalars are leaves."""
    if not isinstance(tree, dict) or (prefix and not tree):
        return {prefix: tree} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def diff_params(new: dict | None, old: dict | None) -> list[dict[str, Any]]:
    """Changed, added and removed parameters, by dotted key."""
    if new is None or old is None:
        return []
    new, old = flatten(new), flatten(old)
    rows = []
    for key in sorted(set(new) | set(old)):
        status = "added" if key not in old else "removed" if key not in new else "changed"
        if status != "changed" or new[key] != old[key]:
            rows.append({"key": key, "old": old.get(key), "new": new.get(key), "status": status})
    return rows


def check_rules(rules: Any) -> dict[str, dict[str, Any]]:
    """Validate `compare.metrics`: {metric: {direction: higher|lower, tolerance: >= 0}}."""
    if not isinstance(rules, dict):
        raise common.UserError("params.yaml: compare.metrics must map metric names to rules")
    for name, rule in rules.items():
        rule = rule if isinstance(rule, dict) else {}
        tolerance = rule.get("tolerance")
        if (
            rule.get("direction") not in ("higher", "lower")
            or not _number(tolerance)
            or tolerance < 0
        ):
            raise common.UserError(
                f"params.yaml: compare.metrics.{name} needs direction: higher or lower, "
                "and tolerance: a number >= 0"
            )
    return rules


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def status_of(old: Any, new: Any, rule: dict[str, Any] | None) -> str:
    """better, same, worse (within tolerance), regressed, new, or changed (no rule)."""
    if not _number(old):
        return "new" if _number(new) else "same"
    if not _number(new):
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


def compare(new, old, params_new, params_old, rules, baseline: str | None = None) -> dict:
    """Judge ``new`` metrics against ``old`` (None: no baseline) with ``rules``."""
    rules = check_rules(rules)
    new = new or {}
    names = [n for n in rules if n in new or (old and n in old)]
    names += sorted((set(new) | set(old or {})) - set(names))
    metrics = []
    for name in names:
        before, after, rule = (old or {}).get(name), new.get(name), rules.get(name)
        change = common.sig(after - before) if _number(before) and _number(after) else None
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
        "params": diff_params(params_new, params_old) if old is not None else [],
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


def _parse(text: str | None, load=yaml.safe_load) -> Any:
    """Parsed ``text``, or None when it is missing or broken (no usable baseline)."""
    try:
        return load(text) if text is not None else None
    except (ValueError, yaml.YAMLError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--baseline", required=True, help="git revision (sha, branch, tag); '' or none: no baseline"
    )
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    rev = None if args.baseline.strip().lower() in ("", "none") else args.baseline.strip()
    try:
        rules = common.load_params("compare", args.params).get("metrics", {})
        new = common.read_json(args.metrics)
        if not isinstance(new, dict):
            raise common.UserError(f"{args.metrics} does not hold a JSON object of metrics")
        params_new = _parse(Path(args.params).read_text(encoding="utf-8"))
        old = _parse(git_show(rev, args.metrics), json.loads) if rev else None
        old = old if isinstance(old, dict) else None
        params_old = _parse(git_show(rev, args.params)) if old is not None else None
        result = compare(new, old, params_new, params_old, rules, baseline=rev)
    except common.UserError as exc:
        return common.fail(exc)
    if rev and git("rev-parse", "--verify", "--quiet", rev + "^{commit}") is None:
        result["note"] += (
            f". {rev} is not in this clone: fetch it (or check out with fetch-depth: 0)"
        )
        print(f"::warning::Baseline {rev} is not in this clone; nothing to compare against")
    common.write_json(args.out, result, sort_keys=False)
    by_name = {m["metric"]: m for m in result["metrics"]}
    for name in result["regressions"]:
        print(f"::error::Regression: {describe(by_name[name])}")
    print(f"compare: {result['note']}; wrote {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
