"""The experiments report (comparison/experiments.py): one row per experiment with the gate's
verdict, each gated metric against the baseline and the parameters that differ, as a terminal
table and as GitHub Markdown, where each experiment also gets the pull request's own metrics
and parameters tables (tables.py). Names and values pass through markdown.py, so nothing in
them renders, and control characters never reach the terminal."""

from __future__ import annotations

import json
from typing import Any

from mlops_kit.comparison import gate, slice_gaps
from mlops_kit.reporting.markdown import code, one_line, plain
from mlops_kit.reporting.tables import baseline_label, fmt, metrics_section, params_section

WHOLE = 10_000  # names are shown whole: only line breaks and control characters go
KEEP = (
    " Keep one: `dvc exp apply NAME` then commit, or `dvc exp branch NAME BRANCH` and push it "
    "for a pull request."
)


def _text(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return one_line(shown, WHOLE)


def verdict(row: dict[str, Any]) -> str:
    if row.get("error"):
        return "error"
    if not row.get("baseline_found"):
        return "no baseline"
    return "pass" if row.get("passed") else "FAIL"


def metric_names(rows: list[dict[str, Any]]) -> list[str]:
    """The gated metrics (every metric when none is gated), in the rules' order."""
    names: list[str] = []
    for row in rows:
        for metric in row.get("metrics") or []:
            if metric["metric"] not in names and (metric["gated"] or not row.get("rules")):
                names.append(metric["metric"])
    return names


def cell(row: dict[str, Any], name: str, marked: str = " ✗") -> str:
    metric = next((m for m in row.get("metrics") or [] if m["metric"] == name), None)
    if metric is None:
        return "—"
    shown = fmt(metric["new"]) if isinstance(metric["new"], int | float) else "—"
    if metric["status"] == "same":
        shown += " (same)"
    elif metric["change"] is not None:
        shown += f" ({metric['change']:+.3g})"
    return shown + (marked if metric["status"] == "regressed" else "")


def changed(row: dict[str, Any]) -> str:
    return ", ".join(f"{_text(p['key'])}={_text(p['new'])}" for p in row.get("params") or [])


def why(row: dict[str, Any]) -> list[str]:
    """What makes an experiment fail the gate, one line each."""
    by_name = {m["metric"]: m for m in row.get("metrics") or []}
    lines = [gate.describe(by_name[name]) for name in row.get("regressions") or []]
    lines += [
        f"slice gap {slice_gaps.describe(rule)}"
        for rule in (row.get("slices") or {}).get("rules") or []
        if rule.get("status") == "fail"
    ]
    return lines


def against(rows: list[dict[str, Any]], quote=str) -> str:
    labels = sorted({baseline_label(r, quote) for r in rows if r.get("baseline_found")})
    return "; ".join(labels) or "no baseline metrics"


def headline(rows: list[dict[str, Any]], head: str | None, quote) -> str:
    """How many experiments, of which commits, judged against what (as their pull request)."""
    ran_from = sorted({r["ran_from"][:7] for r in rows})
    where = ", ".join(quote(sha) for sha in ran_from[:3]) + (" ..." if len(ran_from) > 3 else "")
    if head and ran_from == [head[:7]]:
        where += " (HEAD)"
    plural = "s" if len(rows) != 1 else ""
    return (
        f"{len(rows)} experiment{plural} run from {where}, each against "
        f"{against(rows, quote)}, as its pull request would be."
    )


def _baseline_cells(rows: list[dict[str, Any]], names: list[str]) -> list[str]:
    first = next((r for r in rows if r.get("baseline_found")), {})
    old = {m["metric"]: m["old"] for m in first.get("metrics") or []}
    return [fmt(old.get(n)) if isinstance(old.get(n), int | float) else "—" for n in names]


def terminal(rows: list[dict[str, Any]], waiting: list[dict], head: str | None = None) -> str:
    names = metric_names(rows)
    table = [["experiment", "gate", *names, "parameters that differ"]]
    if len({r.get("baseline_info", {}).get("sha") for r in rows if r.get("baseline_found")}) == 1:
        table.append(["(baseline)", "", *_baseline_cells(rows, names), ""])
    for row in rows:
        table.append([_text(row["name"]), verdict(row), *[cell(row, n) for n in names]])
        table[-1].append(row["error"] if row.get("error") else changed(row))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    lines = [headline(rows, head, str), ""]
    for line in table:
        padded = [text.ljust(width) for text, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*padded, line[-1]]).rstrip())
    failing = [r for r in rows if r.get("passed") is False]
    for row in failing:
        lines.append(f"\n{_text(row['name'])} fails the gate:")
        lines += [f"  {one_line(reason, WHOLE)}" for reason in why(row)]
    judged = [r for r in rows if r.get("baseline_found")]
    passing = len(judged) - len(failing)
    lines.append(f"\n{passing} of {len(judged)} judged pass the gate." + (KEEP if passing else ""))
    lines += [f"queue: {_text(w['name'])} {w['status']}" for w in waiting]
    if any(w["status"] == "Failed" for w in waiting):
        lines.append("  (`dvc queue logs NAME` shows why a run failed)")
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]], waiting: list[dict], head: str | None = None) -> str:
    names = metric_names(rows)
    icons = {"pass": "✅ pass", "FAIL": "❌ fails the gate", "error": "⚠️ error"}
    out = [
        "## Experiments\n",
        headline(rows, head, code) + "\n",
        "| experiment | gate | " + " | ".join(code(n) for n in names) + " | parameters |",
        "| --- | --- | " + " | ".join("---:" for _ in names) + " | --- |",
    ]
    for row in rows:
        params = "<br>".join(
            f"{code(p['key'])} {fmt(p['old'])} → {fmt(p['new'])}" for p in row.get("params") or []
        )
        cells = [code(row["name"]), icons.get(verdict(row), verdict(row))]
        cells += [cell(row, n, " ❌") for n in names]
        out.append("| " + " | ".join([*cells, params or "—"]) + " |")
    for row in rows:
        out.append(f"\n### {code(row['name'])}: {icons.get(verdict(row), verdict(row))}\n")
        if row.get("error"):
            out.append(plain(row["error"]))
            continue
        out.append(f"Commit {code(row['sha'][:12])}, run from {code(row['ran_from'][:7])}.\n")
        out += [metrics_section(row).replace("### ", "#### ", 1), ""]
        out.append(params_section(row).replace("### ", "#### ", 1))
    if waiting:
        out.append("\n### The queue\n")
        out += [f"- {code(w['name'])}: {plain(w['status'])}" for w in waiting]
    return "\n".join(out) + "\n"
