"""What the validate stage writes: the summary (a DVC metric), one line per failed
expectation, and the Markdown report."""

from __future__ import annotations

from typing import Any


def summarise(outcomes: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """Return the summary written to the metrics file."""
    passed = sum(o["success"] for o in outcomes)
    keys = ("expectation", "column", "unexpected_count", "examples")
    return {
        "success": passed == len(outcomes),
        "evaluated": len(outcomes),
        "successful": passed,
        "unsuccessful": len(outcomes) - passed,
        "success_percent": round(100.0 * passed / len(outcomes), 2) if outcomes else 100.0,
        "rows": rows,
        "failed": [{k: o[k] for k in keys} for o in outcomes if not o["success"]],
    }


def describe(outcome: dict[str, Any]) -> str:
    """One-line description of a failed expectation."""
    where = (
        f"on column {outcome['column']!r}"
        if outcome["column"] is not None
        else "on the whole table (table-level)"
    )
    if outcome["error"]:
        problem = f"could not run: {outcome['error']}"
    elif outcome["unexpected_count"] is not None:
        count = outcome["unexpected_count"]
        problem = f"{count} unexpected value{'' if count == 1 else 's'}, e.g. {outcome['examples']}"
    elif outcome["expected"] is not None and isinstance(outcome["observed"], list):
        missing = [c for c in outcome["expected"] if c not in outcome["observed"]]
        extra = [c for c in outcome["observed"] if c not in outcome["expected"]]
        problem = f"missing columns {missing}, unexpected columns {extra}"
        problem = problem if missing or extra else "columns are in a different order"
    else:
        problem = f"observed {outcome['observed']!r}, expected {outcome['kwargs']}"
    return f"{outcome['expectation']} {where}: {problem}"


def render_report(summary: dict[str, Any], outcomes: list[dict[str, Any]], data: str) -> str:
    """Markdown report listing every expectation with its result."""
    verdict = "PASSED" if summary["success"] else "FAILED"
    lines = [
        "# Data validation report",
        "",
        f"**{verdict}**: {summary['successful']} of {summary['evaluated']} expectations met "
        f"({summary['success_percent']}%) on {summary['rows']} rows of `{data}`.",
        "",
        "| # | Expectation | Column | Result | Details |",
        "| ---: | --- | --- | --- | --- |",
    ]
    for number, o in enumerate(outcomes, start=1):
        column = "(table)" if o["column"] is None else f"`{o['column']}`"
        details = "" if o["success"] else describe(o).split(": ", 1)[1]
        result = "pass" if o["success"] else "**FAIL**"
        cells = [str(number), o["expectation"], column, result, details]
        cells = [" ".join(cell.replace("|", "\\|").split()) for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
