"""The table of every model against the baseline, from compare.json's `models`: as Markdown
and CSV files beside compare.json (the workflow uploads them with reports/), and in the job
summary, cut to stay under GitHub's 1 MiB for a step's summary with a line saying where
the whole table is.

Rows come worse first: regressed (worst first), within tolerance, improved, new, removed,
unchanged, then the skipped models. Names are the data's text: code spans in Markdown
(markdown.py); in the CSV, whole, but a cell a spreadsheet would take for a formula (=, +,
-, @, tab, CR first) starts with an apostrophe. Standard library only, like report.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from mlops_kit.reporting.markdown import code
from mlops_kit.reporting.tables import fmt

MARKDOWN, CSV = "models_compare.md", "models_compare.csv"
SUMMARY_LIMIT = 1024 * 1024  # bytes: GitHub drops a step summary that is larger
MARGIN = 16 * 1024  # bytes kept free below it: the line saying where the rest is, and slack
WIDTH = 200  # characters of a name in the Markdown files
COLUMNS = 8  # metrics shown; the CSV has them all
LABELS = {
    "regressed": "❌ worse beyond tolerance",
    "within": "⚠️ within tolerance",
    "improved": "✅ improved",
    "new": "new",
    "removed": "removed",
    "unchanged": "unchanged",
    "skipped": "skipped",
}
ICONS = {"regressed": " ❌", "worse": " ⚠️", "better": " ✅"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(row: dict[str, Any] | None) -> str:
    """One model's metric: its value when unchanged, else baseline → new (change) and how
    it was judged."""
    row = row or {}
    old, new = row.get("old"), row.get("new")
    if row.get("status") in ("same", None) or old == new:
        return fmt(new if new is not None else old)
    change = f" ({fmt(row['change'], True)})" if row.get("change") is not None else ""
    return f"{fmt(old)} → {fmt(new)}{change}{ICONS.get(row['status'], '')}"


def header(metrics: list[str], first: str = "model") -> list[str]:
    shown = metrics[:COLUMNS]
    return [
        "| " + " | ".join([first, "status", *(code(m, 40) for m in shown)]) + " |",
        "| --- | --- |" + " ---: |" * len(shown),
    ]


def line(row: dict[str, Any], metrics: list[str], width: int = WIDTH) -> str:
    status = LABELS.get(row["status"], row["status"])
    if row.get("skipped"):
        status += " (now skipped)"
    cells = [code(row["model"], width), status]
    cells += [cell(row.get("metrics", {}).get(m)) for m in metrics[:COLUMNS]]
    return "| " + " | ".join(cells) + " |"


def lines(found: dict[str, Any], width: int = WIDTH) -> Iterator[str]:
    """The table's lines: its header, every model, then every skipped one."""
    metrics = found.get("metrics") or []
    yield from header(metrics)
    for row in found.get("models") or []:
        yield line(row, metrics, width)
    for entry in found.get("skipped") or []:
        yield line({"model": entry["model"], "status": "skipped"}, metrics, width)


def title(found: dict[str, Any]) -> str:
    counts = found.get("counts") or {}
    shown = ", ".join(f"{counts.get(k, 0)} {LABELS[k]}" for k in LABELS)
    return f"### Every model against the baseline\n\n{shown}.\n"


def markdown(found: dict[str, Any]) -> str:
    return "\n".join([title(found), *lines(found)]) + "\n"


def inert(text: Any) -> str:
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA) else text


def csv_text(found: dict[str, Any]) -> str:
    """Every model, one a row: status, then each metric's baseline, new value and status,
    then why it was skipped."""
    metrics = found.get("metrics") or []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = ["model", "status"]
    head += [inert(f"{m}_{k}") for m in metrics for k in ("old", "new", "status")]
    writer.writerow([*head, "skipped"])
    for row in [*(found.get("models") or []), *(found.get("skipped") or [])]:
        status = row.get("status", "skipped")
        values = [inert(row["model"]), status]
        for m in metrics:
            got = (row.get("metrics") or {}).get(m) or {}
            values += [got.get("old"), got.get("new"), got.get("status")]
        writer.writerow(values + [inert(row.get("reason") or row.get("skipped"))])
    return out.getvalue()


def summary(found: dict[str, Any], budget: int, where: list[str]) -> str:
    """The table in at most ``budget`` bytes of UTF-8: cut, with a line saying so and where
    the whole table is, when it would not fit."""
    total = len(found.get("models") or []) + len(found.get("skipped") or [])
    kept, size, rows = [title(found)], len(title(found).encode()) + 1, -2  # two header lines
    budget -= MARGIN
    for text in lines(found):
        size += len(text.encode()) + 1
        if size > budget:
            shown = " and ".join(code(w, 200) for w in where)
            kept.append(
                f"\n_Cut after {max(rows, 0)} of {total} models to stay under GitHub's 1 MiB "
                f"for a job summary: the whole table is {shown}, in this run's artifacts._"
            )
            break
        kept.append(text)
        rows += 1
    return "\n".join(kept) + "\n"
