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


def _rows(count: int, one: str = "row", many: str = "rows") -> str:
    return f"{count} {one if count == 1 else many}"


def _problem(o: dict[str, Any]) -> str | None:
    """What a failed rule about the rows, the classes or the target means, or None."""
    kind, kwargs, examples = o["expectation"], o["kwargs"], o["examples"]
    if kind == "expect_table_row_count_to_be_between" and isinstance(o["observed"], int):
        most = f" and at most {kwargs['max_value']}" if kwargs.get("max_value") else ""
        return f"{_rows(o['observed'])}, expected at least {kwargs.get('min_value', 0)}{most}"
    if kind == "expect_column_to_exist":
        return "is not in the data" + ("; set ingest.target to a column of it" * o["target"])
    if kind == "expect_column_value_counts_to_be_at_least":
        short = ", ".join(f"{value!r} ({_rows(rows)})" for value, rows in o["observed"])
        return (
            f"has {_rows(o['unexpected_count'], 'class', 'classes')} with fewer than "
            f"{_rows(kwargs['min_value'])}: {short}; add rows of them, or drop or merge them"
        )
    if not o["target"]:
        return None
    if kind == "expect_column_unique_value_count_to_be_between":
        found = _rows(o["observed"], "class", "classes")
        return (
            f"has {found} {examples}; classification needs at least {kwargs.get('min_value')}: "
            "fix the labels, or set ingest.task: regression"
        )
    if kind == "expect_column_values_to_be_in_type_list" and examples:
        return (
            f"is not numeric (e.g. {examples[0]!r}), which ingest.task: regression needs: "
            "convert it to numbers, or set ingest.task: classification"
        )
    if kind == "expect_column_values_to_not_be_null":
        return f"has {_rows(o['unexpected_count'] or 0)} without a label; fill or drop them"
    return None


def _generic(o: dict[str, Any]) -> str:
    if o["error"]:
        return f"could not run: {o['error']}"
    if o["unexpected_count"] is not None:
        count = o["unexpected_count"]
        return f"{count} unexpected value{'' if count == 1 else 's'}, e.g. {o['examples']}"
    if o["expected"] is not None and isinstance(o["observed"], list):
        missing = [c for c in o["expected"] if c not in o["observed"]]
        extra = [c for c in o["observed"] if c not in o["expected"]]
        problem = f"missing columns {missing}, unexpected columns {extra}"
        return problem if missing or extra else "columns are in a different order"
    return f"observed {o['observed']!r}, expected {o['kwargs']}"


def describe(outcome: dict[str, Any]) -> str:
    """One line about a failed expectation: the rule, where, what was found (examples)."""
    outcome = {"target": False, **outcome}
    problem = None if outcome["error"] else _problem(outcome)
    column, kind = outcome["column"], outcome["expectation"]
    if problem and outcome["target"]:
        return f"{kind}: target column {column!r} {problem}"
    where = "on the whole table (table-level)" if column is None else f"on column {column!r}"
    return f"{kind} {where}: {problem or _generic(outcome)}"


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
