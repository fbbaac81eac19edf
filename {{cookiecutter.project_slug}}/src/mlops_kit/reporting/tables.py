"""The tables of the pipeline report: metrics against the baseline, the gate rules a change
proposes, parameter changes and the data validation summary, as GitHub Markdown sections.

Every name and value is shown through markdown.py, so nothing in them renders."""

from __future__ import annotations

import json
from typing import Any

from mlops_kit.github.client import SHA
from mlops_kit.reporting.markdown import code, plain

ICONS = {"better": "✅ ", "worse": "⚠️ ", "regressed": "❌ "}
MAX_ROWS = 50


def fmt(value: Any, signed: bool = False, null: str = "—") -> str:
    """A table cell: numbers to 4 significant digits, a dash when there is no value, any
    other value as inert code."""
    if value is None:
        return null
    if isinstance(value, bool) or not isinstance(value, int | float):
        return code(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def baseline_label(compare: dict, quote=str) -> str:
    """What the numbers were compared with: "published model@v0.1.0 at abc1234", ..."""
    found = compare.get("baseline_info") or {}
    sha = found.get("sha") or compare.get("baseline") or ""
    sha = sha[:7] if SHA.fullmatch(sha) else sha  # a branch or a ref is shown whole
    if found.get("kind") == "release":
        return f"published {quote(found.get('tag'))} at {quote(sha)}"
    if found.get("kind") == "commit":
        where = f"the merge-base with {quote(found['base'])}" if found.get("base") else ""
        return f"metrics committed at {quote(sha)}" + (f", {where}" if where else "")
    return f"{quote(compare['baseline'])}" if compare.get("baseline") else "none"


def metrics_section(compare: dict | None, stopped: str | None = None) -> str:
    if compare is None:
        why = stopped or "reports/compare.json is missing"
        return f"### Metrics\n\nNot compared: {why}."
    label = baseline_label(compare, code)
    if compare.get("baseline_found"):
        first = f"Baseline: {label}."
    else:
        first = f"{plain(compare.get('note', ''))}. Nothing is gated."
    if compare.get("regressions"):
        names = ", ".join(code(n) for n in compare["regressions"])
        first += f"\n\nWorse than the baseline beyond tolerance: {names}."
    lines = [f"### Metrics\n\n{first}\n"]
    lines += ["| metric | baseline | new | change | status |", "| --- | ---: | ---: | ---: | --- |"]
    for row in compare.get("metrics", []):
        status = ICONS.get(row["status"], "") + row["status"]
        status = "❌ **regressed**" if row["status"] == "regressed" else status
        if row.get("gated"):
            status += f" (tolerance {row['tolerance']:g}, {row['direction']} is better)"
        else:
            status += " · not gated"
        cells = [code(row["metric"]), fmt(row["old"]), fmt(row["new"]), fmt(row["change"], True)]
        lines.append("| " + " | ".join([*cells, status]) + " |")
    return "\n".join(lines)


def _rule(rule: Any) -> str:
    if not isinstance(rule, dict):
        return "—"
    return f"{fmt(rule.get('direction'))}, tolerance {fmt(rule.get('tolerance'))}"


def rules_section(compare: dict | None) -> str | None:
    """The gate rules this change proposes, when they differ from the baseline's."""
    proposed = (compare or {}).get("proposed_rules")
    if proposed is None:
        return None
    rules = compare.get("rules") or {}
    lines = [
        "### Gate rules\n\nThis change edits `compare.metrics`. It was judged with the "
        "baseline's rules; the proposed ones apply once it is merged.\n",
        "| metric | baseline rule | proposed rule |",
        "| --- | --- | --- |",
    ]
    for name in sorted(set(rules) | set(proposed)):
        if rules.get(name) != proposed.get(name):
            cells = [code(name), _rule(rules.get(name)), _rule(proposed.get(name))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def params_section(compare: dict | None, stopped: str | None = None) -> str:
    """The parameters that differ from the baseline commit, as `dvc params diff` found them."""
    if compare is None:
        return f"### Parameters\n\nNot compared: {stopped or 'reports/compare.json is missing'}."
    rows = compare.get("params") or []
    against = str(compare.get("params_against") or compare.get("baseline") or "")
    against = code(against[:7] if SHA.fullmatch(against) else against)
    if not compare.get("params_compared", True):
        where = f"{against} is not in this clone" if compare.get("baseline") else ""
        return f"### Parameters\n\nNot compared: {where or 'no baseline revision'}."
    if not rows:
        return f"### Parameters\n\nNo parameter changes since {against}."
    lines = [
        f"### Parameters\n\nChanged since {against}:\n",
        "| parameter | baseline | new |",
        "| --- | --- | --- |",
    ]
    for row in rows[:MAX_ROWS]:  # a dash where the key is absent or null (DVC shows both so)
        lines.append(f"| {code(row['key'])} | {fmt(row['old'])} | {fmt(row['new'])} |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n…and {len(rows) - MAX_ROWS} more changes.")
    return "\n".join(lines)


def validation_section(summary: dict | None, stopped: str | None = None) -> str:
    if summary is None:
        why = stopped or "reports/validation.json is missing"
        return f"### Data validation\n\nNo validation summary: {why}."
    state = "passed" if summary.get("success") else "**failed**"
    counts = [_count(summary.get(k)) for k in ("successful", "evaluated", "rows")]
    lines = [
        f"### Data validation\n\nValidation {state}: {counts[0]} of {counts[1]} expectations "
        f"met on {counts[2]} rows."
    ]
    failed = summary.get("failed") or []
    if failed:
        lines += [
            "",
            "| expectation | column | unexpected | examples |",
            "| --- | --- | ---: | --- |",
        ]
        for item in failed[:MAX_ROWS]:
            item = item if isinstance(item, dict) else {}
            column = item.get("column")
            cells = [fmt(item.get("expectation")), "(table)" if column is None else fmt(column)]
            cells += [_count(item.get("unexpected_count"), "—"), fmt(item.get("examples"))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _count(value: Any, unknown: str = "?") -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else unknown
