"""The expectation suite's rules for the model's input columns, and how a broken one is said.

Batch prediction and the service check each row before scoring it (input_checks.py), with the
rules the suite sets for the feature columns: present, of its type, not null, between its
bounds, in its set of values. This module reads those four column expectation types and
ignores every other one, and any rule on a column the model does not take (the target) or on
the whole table (row count, column order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

COLUMNS = "expect_table_columns_to_match_ordered_list"
TYPE, NOT_NULL = "expect_column_values_to_be_in_type_list", "expect_column_values_to_not_be_null"
BETWEEN, IN_SET = "expect_column_values_to_be_between", "expect_column_values_to_be_in_set"
KINDS = {"bool": "boolean", "boolean": "boolean", "int": "integer", "Int": "integer"}
TEXT = ("object", "str", "string", "category")


class Problem(NamedTuple):
    """Row ``row`` (0-based position in the rows checked; None: the whole column) breaks
    ``rule`` in ``column``; ``message`` says how."""

    row: int | None
    column: str
    rule: str
    message: str


@dataclass
class Column:
    """What the suite asks of one input column."""

    name: str
    kind: str = "any"  # number, integer, boolean, text, or any (no type rule)
    nullable: bool = True
    low: float | None = None
    high: float | None = None
    strict: tuple[bool, bool] = (False, False)
    allowed: list[Any] | None = None


def _kind(type_list: list[str]) -> str:
    first = str(type_list[0]) if type_list else ""
    if first.startswith(("float", "Float")):
        return "number"
    if first in TEXT:
        return "text"
    return next((kind for prefix, kind in KINDS.items() if first.startswith(prefix)), "any")


def columns(suite: dict[str, Any], features: list[str]) -> list[Column]:
    """The rules for ``features`` (the model's input columns, in its order) from ``suite``."""
    found = {name: Column(name) for name in features}
    for item in suite.get("expectations") or []:
        kwargs = item.get("kwargs") or {}
        column = found.get(kwargs.get("column"))
        if column is None:
            continue
        kind = item.get("type")
        if kind == TYPE:
            column.kind = _kind(kwargs.get("type_list") or [])
        elif kind == NOT_NULL:
            column.nullable = False
        elif kind == BETWEEN:
            column.low, column.high = kwargs.get("min_value"), kwargs.get("max_value")
            column.strict = (bool(kwargs.get("strict_min")), bool(kwargs.get("strict_max")))
        elif kind == IN_SET:
            column.allowed = list(kwargs.get("value_set") or [])
    return list(found.values())


def shown(value: Any) -> str:
    """``value`` for a message, cut to a few dozen characters (it may come from a request)."""
    value = value.item() if hasattr(value, "item") else value
    text = repr(int(value) if isinstance(value, float) and value.is_integer() else value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(problem: Problem, where: str) -> str:
    """One line: ``where`` (e.g. "row 3"), the column, what is wrong and the rule broken."""
    place = f"{where}, " if problem.row is not None else ""
    return f"{place}column {problem.column!r}: {problem.message} (rule {problem.rule})"


def headline(problems: list[Problem], where: str) -> str:
    """One line for a refusal: the first problem (at ``where``), or every missing column."""
    gone = [p.column for p in problems if p.rule == COLUMNS]
    if len(gone) < 2:
        return describe(problems[0], where)
    names = ", ".join(map(repr, gone[:5])) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
    return f"columns {names} are missing (rule {COLUMNS})"
