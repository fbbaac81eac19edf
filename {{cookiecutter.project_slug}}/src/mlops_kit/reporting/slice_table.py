"""The "Slices" section of the pipeline report: the slice gate's verdict on each rule, then
each sliced column's metrics with their bootstrap intervals, from compare.json's `slices`.

Slice values are the data's own text: every name and value goes through markdown.py.
Standard library only, like report.py."""

from __future__ import annotations

from typing import Any

from mlops_kit.reporting.markdown import code, plain
from mlops_kit.reporting.tables import MAX_ROWS, fmt

ICONS = {"fail": "❌ **fail**", "warn": "⚠️ warn", "pass": "✅ pass"}


def _interval(entry: Any) -> str:
    entry = entry if isinstance(entry, dict) else {}
    value, low, high = (entry.get(k) for k in ("value", "low", "high"))
    if low is None or high is None:
        return fmt(value)
    return f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def _rules(found: dict[str, Any], share: str) -> list[str]:
    rows = found.get("rules") or []
    where = found.get("rules_from")
    if not where:
        return ["No baseline commit to read `compare.slices` from: nothing is gated."]
    lines = [
        f"Rules: `compare.slices` at {code(str(where)[:7])}. A rule fails when the whole {share} "
        "interval of a gap is above its `max_gap`, and warns when the interval holds it."
    ]
    if found.get("proposed_rules") is not None:
        lines[0] += " This change edits `compare.slices`; its rules apply once it is merged."
    if rows:
        lines += [
            "",
            "| column | metric | largest gap | interval | between | max gap | verdict |",
            "| --- | --- | ---: | --- | --- | ---: | --- |",
        ]
        for row in rows[:MAX_ROWS]:
            pair = " and ".join(code(v, 30) for v in (row.get("between") or [])[:2]) or "—"
            cells = [code(row.get("column")), code(row.get("metric")), fmt(row.get("value"))]
            cells += [f"[{fmt(row.get('low'))}, {fmt(row.get('high'))}]", pair]
            cells += [fmt(row.get("max_gap")), ICONS.get(row.get("status"), fmt(row.get("status")))]
            lines.append("| " + " | ".join(cells) + " |")
    for item in (found.get("unjudged") or [])[:MAX_ROWS]:
        lines.append(
            f"\nNot judged: {code(item.get('metric'))} by {code(item.get('column'))} (fewer "
            "than 2 slices large enough)."
        )
    return lines


def _column(column: dict[str, Any], min_size: Any) -> list[str]:
    values = [v for v in column.get("values") or [] if isinstance(v, dict)]
    names = list((values[0].get("metrics") or {}) if values else [])
    binning = column.get("binning")
    head = f"**{code(column.get('column'))}**" + (f" ({plain(binning, 80)})" if binning else "")
    lines = [head, "", "| slice | n | " + " | ".join(code(n) for n in names) + " |"]
    lines.append("| --- | ---: |" + " --- |" * len(names))
    for value in values[:MAX_ROWS]:
        n = fmt(value.get("n"))
        n += "" if value.get("gated") else f" (under {fmt(min_size)}: not gated)"
        cells = [code(value.get("value")), n]
        cells += [_interval((value.get("metrics") or {}).get(name)) for name in names]
        lines.append("| " + " | ".join(cells) + " |")
    if len(values) > MAX_ROWS:
        lines.append(f"\n…and {len(values) - MAX_ROWS} more slices.")
    return lines


def section(compare: dict | None) -> str | None:
    """The section, or None when compare.json has no slice judgement (an older one)."""
    found = (compare or {}).get("slices")
    if not isinstance(found, dict):
        return None
    if not found.get("found"):
        return "### Slices\n\nNo reports/slices.json: the evaluate stage wrote none."
    confidence = found.get("confidence")
    share = f"{confidence:.0%}" if isinstance(confidence, float) else "bootstrap"
    lines = ["### Slices", ""]
    if found.get("failed"):
        names = ", ".join(plain(name, 80) for name in found["failed"])
        lines += [f"Gap beyond its limit: {names}.", ""]
    lines += _rules(found, share)
    columns = [c for c in found.get("slices") or [] if isinstance(c, dict)]
    if not columns:
        lines += ["", "No column is sliced (`evaluate.slices` is empty)."]
    lines += ["", f"Each metric as value [{share} interval]."] if columns else []
    for column in columns[:MAX_ROWS]:
        lines += ["", *_column(column, found.get("min_size"))]
    return "\n".join(lines)
