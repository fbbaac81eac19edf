"""The monitoring report in GitHub Markdown, with Mermaid charts of the worst columns.

Every name or value that comes from the data is rendered inert by the same helpers as the
pipeline report's: a code span (reporting.markdown.code), or a Mermaid label with no markup
(reporting.mermaid.label). Only a check that finished writes monitor.json and monitor.md,
each whole (``write``); a check that fails removes those of an earlier one (``clear``), so a
report is never read as this run's when it is not.
"""

from __future__ import annotations

import math
from pathlib import Path

from mlops_kit import common
from mlops_kit.monitoring import listing
from mlops_kit.reporting.markdown import code
from mlops_kit.reporting.mermaid import label, num

SHOWN = 15
CHARTED = 10
FILES = ("monitor.json", "monitor.md")
ICONS = {"healthy": "✅ healthy", "unhealthy": "❌ unhealthy", "too small": "⚪ too small to judge"}


def fmt(value) -> str:
    return "—" if value is None else f"{value:.3g}"


def summary_line(columns: int, drifted: list[str], degraded: list[str]) -> str:
    """One line for the log: how many columns drifted and which metrics got worse."""
    parts = [f"{len(drifted)} of {columns} columns drifted"]
    drifted = [" ".join(str(name).split()) for name in drifted]  # one line, whatever the names
    if drifted:
        parts[0] += f" ({', '.join(drifted[:5])}{', …' if len(drifted) > 5 else ''})"
    if degraded:
        parts.append(f"metrics worse than tolerated: {', '.join(degraded)}")
    return "; ".join(parts)


def worst(columns: list[dict]) -> list[dict]:
    """Drifted columns first, then by adjusted p-value and effect size."""
    return sorted(columns, key=lambda c: (not c["drift"], c["p_adjusted"], -c["effect"]))


def chart(title: str, columns: list[dict], values: list[float], line: float, axis: str) -> str:
    names = ", ".join(label(c["column"]) for c in columns)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f'    title "{title}"',
            f"    x-axis [{names}]",
            f'    y-axis "{axis}"',
            f"    bar [{', '.join(num(v) for v in values)}]",
            f"    line [{', '.join(num(line) for _ in values)}]",
            "```",
        ]
    )


def columns_section(result: dict) -> list[str]:
    columns = worst(result["columns"])
    lines = [
        "### Columns\n",
        "| column | kind | effect | adjusted p | missing: reference → batch | unseen | verdict |",
        "| --- | --- | ---: | ---: | --- | ---: | --- |",
    ]
    for c in columns[:SHOWN]:
        verdict = "❌ drift" if c["drift"] else "ok"
        if c["new_values"]:
            verdict += ", new values: " + ", ".join(code(v, 40) for v in c["unseen_examples"])
        missing = f"{c['reference_missing']:.1%} → {c['missing']:.1%}"
        cells = [code(c["column"]), c["kind"], fmt(c["effect"]), fmt(c["p_adjusted"])]
        lines.append("| " + " | ".join([*cells, missing, f"{c['unseen']:.1%}", verdict]) + " |")
    if len(columns) > SHOWN:
        lines.append(f"\n…and {len(columns) - SHOWN} more columns, none worse (monitor.json).")
    top = columns[:CHARTED]
    significance = [min(-math.log10(max(c["p_adjusted"], 1e-300)), 50.0) for c in top]
    lines += [
        "",
        chart(
            "Effect size (bars) and the minimum that counts (line)",
            top,
            [c["effect"] for c in top],
            result["min_effect"],
            "effect",
        ),
        "",
        chart(
            "Evidence, -log10 adjusted p (bars), and the threshold (line)",
            top,
            significance,
            -math.log10(result["alpha"]),
            "-log10 p",
        ),
    ]
    return lines


def metrics_section(rows: list[dict]) -> list[str]:
    lines = ["### Metrics on the batch\n", "| metric | test split | batch | tolerance | verdict |"]
    lines.append("| --- | ---: | ---: | ---: | --- |")
    for row in rows:
        verdict = "❌ worse" if row["degraded"] else "ok"
        cells = [code(row["metric"]), fmt(row["reference"]), fmt(row["batch"])]
        cells += [f"{row['tolerance']:g} ({row['direction']} is better)", verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def model_line(inputs: dict) -> str:
    """Which model was checked: a release (and the stage holding it), or a file here."""
    if inputs.get("release"):
        held = f", which {code(inputs['stage'])} holds" if inputs.get("stage") else ""
        commit = f" at commit {code(str(inputs['commit'])[:7])}" if inputs.get("commit") else ""
        return (
            f"Model: release {code(inputs['release'])}{held}{commit}, its files checked "
            "against git before use.\n"
        )
    return f"Model: {code(inputs.get('model') or '?')} of this checkout.\n"


def markdown(result: dict, current: str) -> str:
    """The whole report (of many models: listing.py's)."""
    if isinstance(result.get("models"), dict):
        return listing.markdown(result, current)
    lines = [f"## Model monitoring: {ICONS[result['status']]}\n"]
    if isinstance(result.get("inputs"), dict):
        lines.append(model_line(result["inputs"]))
    checked = f", checked {result['checked_at']}" if result.get("checked_at") else ""
    lines.append(
        f"Batch {code(current)}: {result['rows']} rows, against a reference of "
        f"{result['reference_rows']} training rows{checked}."
    )
    if result["status"] == "too small":
        lines.append(
            f"\n{result['rows']} rows is too few to judge (monitor.min_rows: "
            f"{result['min_rows']}): nothing is flagged."
        )
        return "\n".join(lines) + "\n"
    drifted = sum(c["drift"] for c in result["columns"])
    degraded = sum(m["degraded"] for m in result["metrics"])
    lines.append(
        f"{drifted} of {len(result['columns'])} columns drifted (predictions included); "
        f"{degraded} of {len(result['metrics'])} metrics worse than tolerated. A column drifts "
        f"when a test survives Holm's correction at alpha {result['alpha']:g} with an effect of "
        f"at least {result['min_effect']:g} (missing rate: {result['max_missing_change']:g}; "
        f"unseen values: {result['max_unseen']:.1%} more of them than in training).\n"
    )
    lines += columns_section(result)
    if result["metrics"]:
        lines += ["", *metrics_section(result["metrics"])]
    return "\n".join(lines) + "\n"


def clear(out: str | Path) -> None:
    """Remove the report files of an earlier check from ``out``."""
    if Path(out).exists() and not Path(out).is_dir():
        raise common.UserError(f"--out {out} is a file; give a folder for the report")
    for name in FILES:
        path = Path(out) / name
        if path.is_dir():
            raise common.UserError(f"{path} is a folder; remove it or give another --out")
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise common.UserError(f"cannot remove the old report {path}: {exc.strerror}") from None


def write(out: str | Path, document: dict, current: str) -> None:
    """Write monitor.md and monitor.json (``document``) to ``out``, each in one rename."""
    out = Path(out)
    try:
        common.write_text(out / "monitor.md", markdown(document, current))
        common.write_json(out / "monitor.json", document, sort_keys=False)
    except OSError as exc:
        clear(out)
        raise common.UserError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
