"""The tables of the pipeline report: metrics against the baseline, parameter changes and
the data validation summary, as GitHub Markdown sections."""

from __future__ import annotations

import json
from typing import Any

ICONS = {"better": "✅ ", "worse": "⚠️ ", "regressed": "❌ "}
MAX_ROWS = 50


def fmt(value: Any, signed: bool = False, null: str = "—") -> str:
    """A table cell: numbers to 4 significant digits, a dash when there is no value."""
    if value is None:
        return null
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = json.dumps(value) if not isinstance(value, str) else value
        return "`" + text.replace("|", "\\|").replace("`", "'")[:60] + "`"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def metrics_section(compare: dict | None) -> str:
    if compare is None:
        return "### Metrics\n\nNo comparison was produced (reports/compare.json is missing)."
    baseline = f"`{compare['baseline']}`" if compare.get("baseline") else "no baseline"
    lines = [f"### Metrics\n\nBaseline: {baseline}. {compare.get('note', '')}.\n"]
    lines += ["| metric | baseline | new | change | status |", "| --- | ---: | ---: | ---: | --- |"]
    for row in compare.get("metrics", []):
        status = ICONS.get(row["status"], "") + row["status"]
        status = "❌ **regressed**" if row["status"] == "regressed" else status
        if row.get("gated"):
            status += f" (tolerance {row['tolerance']:g}, {row['direction']} is better)"
        else:
            status += " · not gated"
        cells = [f"`{row['metric']}`", fmt(row["old"]), fmt(row["new"]), fmt(row["change"], True)]
        lines.append("| " + " | ".join([*cells, status]) + " |")
    return "\n".join(lines)


def params_section(compare: dict | None) -> str:
    """The parameters that differ from the baseline commit, as `dvc params diff` found them."""
    if compare is None:
        return "### Parameters\n\nNot compared (reports/compare.json is missing)."
    rows = compare.get("params") or []
    if not compare.get("params_compared", True):
        where = f"`{compare['baseline']}` is not in this clone" if compare.get("baseline") else ""
        return f"### Parameters\n\nNot compared: {where or 'no baseline revision'}."
    if not rows:
        return f"### Parameters\n\nNo parameter changes since `{compare.get('baseline')}`."
    lines = ["### Parameters\n", "| parameter | baseline | new |", "| --- | --- | --- |"]
    for row in rows[:MAX_ROWS]:  # a dash where the key is absent or null (DVC shows both so)
        lines.append(f"| `{row['key']}` | {fmt(row['old'])} | {fmt(row['new'])} |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n…and {len(rows) - MAX_ROWS} more changes.")
    return "\n".join(lines)


def validation_section(summary: dict | None) -> str:
    if summary is None:
        return "### Data validation\n\nNo validation summary (reports/validation.json is missing)."
    state = "passed" if summary.get("success") else "**failed**"
    lines = [
        f"### Data validation\n\nValidation {state}: {summary.get('successful', '?')} of "
        f"{summary.get('evaluated', '?')} expectations met on {summary.get('rows', '?')} rows."
    ]
    failed = summary.get("failed") or []
    if failed:
        lines += [
            "",
            "| expectation | column | unexpected | examples |",
            "| --- | --- | ---: | --- |",
        ]
        for item in failed[:MAX_ROWS]:
            cells = [item.get("expectation"), item.get("column"), item.get("unexpected_count")]
            cells = [fmt(c) if c is not None else "(table)" for c in cells]
            lines.append("| " + " | ".join([*cells, fmt(item.get("examples"))]) + " |")
    return "\n".join(lines)
