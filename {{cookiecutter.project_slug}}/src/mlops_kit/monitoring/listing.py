"""The report of a check of many models in GitHub Markdown, bounded in size whatever their
number: the unhealthy models first (at most SHOWN of them in the table, the rest counted),
the DETAILED worst of them column by column, then those too small to judge (NAMED of them
named); and the rows no model judges.

Model, column and metric names come from the data: each is a code span cut to a width
(reporting.markdown.code), so no name is live Markdown nor breaks a table. monitor.md is
``markdown``; the issue's report, ``issue_report``, lists exactly the unhealthy models, and
``read`` gives issue.py the report of a folder. Standard library only: the issue job runs it
without installing anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlops_kit.reporting.markdown import code

SHOWN, NAMED, MOST, DETAILED = 100, 50, 3, 5
ICONS = {"healthy": "✅ healthy", "unhealthy": "❌ unhealthy", "too small": "⚪ too small to judge"}


def fmt(value) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.3g}"


def listed(items: list, most: int = MOST, width: int = 30) -> str:
    """At most ``most`` of ``items`` as code spans, and how many more."""
    if not items:
        return "—"
    shown = ", ".join(code(item, width) for item in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def of_status(result: dict, status: str) -> list[str]:
    """The names of the models of ``status``, the strongest evidence first."""
    models = result["models"]
    names = [name for name, found in models.items() if found.get("status") == status]
    return sorted(names, key=lambda name: (fmt_key(models[name].get("p_adjusted")), name))


def fmt_key(value) -> float:
    return float(value) if isinstance(value, int | float) else 1.0


def count(value) -> str:
    return str(int(value)) if isinstance(value, int | float) else "?"


def header(result: dict, current: str) -> list[str]:
    """The verdict, what was checked against what, and the rows no model judges."""
    summary, models = result["summary"], len(result["models"])
    bad = summary.get("unhealthy", 0)
    lines = [f"## Model monitoring: {ICONS[result['status']]}: {bad} of {models} models\n"]
    inputs = result.get("inputs") if isinstance(result.get("inputs"), dict) else {}
    where = f"{code(inputs.get('models') or '?')} of this checkout"
    if inputs.get("release"):
        commit = code(str(inputs.get("commit") or "?")[:7])
        where = (
            f"release {code(inputs['release'])} at commit {commit}, each model's files "
            "checked against git before use"
        )
    lines.append(f"Models: {where}, one per value of {code(result.get('segment_by') or '?')}.\n")
    checked = f", checked {result['checked_at']}" if result.get("checked_at") else ""
    lines.append(f"Batch {code(current)}: {count(result.get('rows'))} rows{checked}.\n")
    lines.append(
        f"**{count(bad)} unhealthy**, {count(summary.get('healthy', 0))} healthy, "
        f"{count(summary.get('too small', 0))} too small to judge (fewer than "
        f"{count(result.get('min_rows'))} rows in the batch). A model is unhealthy when a "
        "column or its predictions drifted, a test surviving Holm's correction over all "
        f"{count(summary.get('tests', 0))} tests of every model checked at alpha "
        f"{fmt(result.get('alpha'))} (the false-alarm rate of the whole check) with an effect "
        f"of at least {fmt(result.get('min_effect'))}, or when a metric got worse than its "
        "`compare:` tolerance.\n"
    )
    outside = result.get("unmatched") or {}
    parts = []
    for kind, why in (("unknown", "unknown to the list"), ("skipped", "skipped in training")):
        found = outside.get(kind) or {}
        if found.get("rows"):
            values = "value" if found.get("segments") == 1 else "values"
            parts.append(
                f"{count(found['rows'])} rows of {count(found.get('segments'))} {values} {why} "
                f"({listed(found.get('examples') or [], 5, 40)})"
            )
    if outside.get("missing"):
        parts.append(f"{count(outside['missing'])} rows with no value")
    if parts:
        lines.append("Rows no model judges, never counted as drift: " + "; ".join(parts) + ".\n")
    return lines


def unhealthy_table(result: dict) -> list[str]:
    """The unhealthy models, at most SHOWN of them, and how many more."""
    names = of_status(result, "unhealthy")
    if not names:
        return []
    lines = [f"### Unhealthy models ({len(names)})\n"]
    lines.append("| model | rows | drifted | metrics worse than tolerated | adjusted p |")
    lines.append("| --- | ---: | --- | --- | ---: |")
    for name in names[:SHOWN]:
        found = result["models"][name]
        cells = [code(name), count(found.get("rows")), listed(found.get("drifted") or [])]
        cells += [listed(found.get("degraded") or []), fmt(found.get("p_adjusted"))]
        lines.append("| " + " | ".join(cells) + " |")
    if len(names) > SHOWN:
        lines.append(f"\n…and {len(names) - SHOWN} more unhealthy models (monitor.json).")
    return lines


def details(result: dict) -> list[str]:
    """The DETAILED worst unhealthy models: each drifted column and each judged metric."""
    names = of_status(result, "unhealthy")[:DETAILED]
    lines = [f"### Column by column, the first {len(names)}\n"] if names else []
    for name in names:
        found = result["models"][name]
        lines += [f"#### {code(name)}: {count(found.get('rows'))} rows\n"]
        lines += ["| column or metric | effect, or test split → batch | adjusted p | verdict |"]
        lines += ["| --- | --- | ---: | --- |"]
        for column in (found.get("columns") or [])[: MOST * 2]:
            new = listed(column.get("unseen_examples") or [], MOST, 30)
            verdict = "❌ drift" + (f", new values: {new}" if column.get("new_values") else "")
            cells = [code(column.get("column")), fmt(column.get("effect"))]
            lines.append("| " + " | ".join([*cells, fmt(column.get("p_adjusted")), verdict]) + " |")
        for row in (found.get("metrics") or [])[: MOST * 2]:
            moved = f"{fmt(row.get('reference'))} → {fmt(row.get('batch'))}"
            verdict = "❌ worse" if row.get("degraded") else "ok"
            lines.append(f"| {code(row.get('metric'))} | {moved} | — | {verdict} |")
        lines.append("")
    return lines


def too_small(result: dict) -> list[str]:
    names = sorted(n for n, f in result["models"].items() if f.get("status") == "too small")
    if not names:
        return []
    return [f"### Too small to judge ({len(names)})\n", listed(names, NAMED, 40) + "."]


def markdown(result: dict, current: str) -> str:
    """monitor.md of a check of many models."""
    lines = header(result, current)
    for section in (unhealthy_table(result), details(result), too_small(result)):
        lines += [*section, ""] if section else []
    return "\n".join(lines).rstrip("\n") + "\n"


def issue_report(result: dict) -> str:
    """The issue's report: the header and exactly the unhealthy models."""
    lines = header(result, str(result.get("current") or "?")) + unhealthy_table(result)
    return "\n".join(lines).rstrip("\n") + "\n"


def tally(document: dict) -> tuple[int, int] | None:
    """(unhealthy models, models) of a check of many models; None for one model's."""
    models = document.get("models")
    if not isinstance(models, dict):
        return None
    bad = sum(isinstance(f, dict) and f.get("status") == "unhealthy" for f in models.values())
    return bad, len(models)


def read(folder: Path) -> tuple[dict, str]:
    """(monitor.json, the issue's report) of the check in ``folder``: monitor.md for one
    model, ``issue_report`` for many."""
    document = json.loads((folder / "monitor.json").read_text(encoding="utf-8"))
    if isinstance(document, dict) and isinstance(document.get("models"), dict):
        return document, issue_report(document)
    return document, (folder / "monitor.md").read_text(encoding="utf-8")
