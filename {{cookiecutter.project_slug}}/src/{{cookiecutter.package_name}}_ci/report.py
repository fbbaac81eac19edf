"""Write the pipeline report posted on pull requests: verdict, metrics against the baseline,
parameter changes, data validation and the plots, as GitHub Markdown.

    python -m <package>.report --compare reports/compare.json \\
        --validation reports/validation.json --plots reports/plots --out reports/ci-report.md

A missing input (the pipeline stopped early) gives a section saying so, not an error.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import common

from . import charts

MARKER = "<!-- mlops-template:pipeline-report -->"  # how comment.py finds its own report
LIMIT = 65536  # GitHub's maximum comment length, in characters
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


def verdict(compare: dict | None, validation: dict | None) -> str:
    if validation is not None and not validation.get("success", False):
        return "❌ data validation failed"
    if compare is None:
        return "⚠️ incomplete: no comparison (did the pipeline stop early?)"
    return "✅ pass" if compare.get("passed") else "❌ regression"


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
    rows = (compare or {}).get("params") or []
    if not rows:
        return "### Parameters\n\nNo parameter changes."
    lines = ["### Parameters\n", "| parameter | baseline | new |", "| --- | --- | --- |"]
    for row in rows[:MAX_ROWS]:  # a dash for a key that is absent, `null` for a null value
        old = "—" if row.get("status") == "added" else fmt(row["old"], null="`null`")
        new = "—" if row.get("status") == "removed" else fmt(row["new"], null="`null`")
        lines.append(f"| `{row['key']}` | {old} | {new} |")
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


def render(
    compare: dict | None,
    validation: dict | None,
    plots: list[str],
    title: str = "Pipeline report",
    run_url: str | None = None,
    limit: int = LIMIT,
) -> str:
    """The report as Markdown, shorter than ``limit`` characters: plots are dropped first."""
    head = f"{MARKER}\n## {title}: {verdict(compare, validation)}"
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    foot = f"Full-resolution plots and reports are in the artifacts of {where}."
    parts = [metrics_section(compare), params_section(compare), validation_section(validation)]
    parts += ["### Plots", *plots] if plots else []
    kept, size, dropped = [], len(head) + len(foot) + 200, 0
    for part in parts:
        if size + len(part) + 2 > limit:
            dropped += 1
            continue
        kept.append(part)
        size += len(part) + 2
    if dropped:
        kept.append(f"_{dropped} section(s) left out to fit GitHub's comment size limit._")
    return "\n\n".join([head, *kept, foot]) + "\n"


def _optional_json(path: str | None) -> dict | None:
    if not path or not Path(path).is_file():
        return None
    data = common.read_json(path)
    return data if isinstance(data, dict) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("compare", "validation", "plots", "out"):
        parser.add_argument(f"--{name}", required=name == "out", default=None)
    parser.add_argument("--title", default="Pipeline report")
    args = parser.parse_args(argv)
    env = os.environ
    run_url = None
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        run_url = (
            f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/"
            f"{env['GITHUB_RUN_ID']}"
        )
    try:
        compare, validation = _optional_json(args.compare), _optional_json(args.validation)
    except common.UserError as exc:
        return common.fail(exc)
    plots = charts.sections(args.plots) if args.plots else []
    text = render(compare, validation, plots, args.title, run_url)
    common.ensure_parent(args.out).write_text(text, encoding="utf-8")
    print(f"report: {verdict(compare, validation)}; wrote {args.out} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
