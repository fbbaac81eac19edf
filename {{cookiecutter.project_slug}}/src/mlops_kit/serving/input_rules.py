"""The expectation suite's rules for the model's input columns, checked on rows at once.

Batch prediction and the service check each row before scoring it, with the rules the suite
sets for the feature columns: present, of its type, not null, between its bounds, in its set
of values. Great Expectations is not run here (far too slow per request): this module reads
those four column expectation types and ignores every other one, and any rule on a column the
model does not take (the target) or on the whole table (row count, column order).
"""

from __future__ import annotations

import contextlib
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


def _shown(value: Any) -> str:
    """``value`` for a message, cut to a few dozen characters (it may come from a request)."""
    value = value.item() if hasattr(value, "item") else value
    text = repr(int(value) if isinstance(value, float) and value.is_integer() else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _typed(raw, present, kind: str):
    """(the values of ``raw``, a numpy array, converted to ``kind``; a mask of the present
    values that are not of it). An array already of the kind's dtype is taken as it is."""
    import numpy as np

    wrong = np.zeros(len(raw), dtype=bool)
    if kind in ("number", "integer"):
        if raw.dtype.kind in "iuf":
            numbers = raw.astype("float64")
        else:
            numbers = np.full(len(raw), np.nan)
            for i in np.flatnonzero(present):
                value = raw[i]
                with contextlib.suppress(TypeError, ValueError, OverflowError):
                    numbers[i] = np.nan if isinstance(value, (bool, np.bool_)) else float(value)
            wrong = present & np.isnan(numbers)
        if kind == "integer":
            wrong |= present & ~wrong & (np.mod(numbers, 1) != 0)
        return numbers, wrong
    if kind == "boolean" and raw.dtype != bool:
        words = {"true": True, "false": False}
        values = np.full(len(raw), np.nan, dtype=object)
        for i in np.flatnonzero(present):
            value = raw[i]
            if isinstance(value, (bool, np.bool_)):
                values[i] = bool(value)
            elif isinstance(value, str) and value.lower() in words:
                values[i] = words[value.lower()]
            else:
                wrong[i] = True
        return values, wrong
    if kind == "text":
        values = raw.astype(object)
        wrong = present & np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        wrong ^= present
        values[~present] = np.nan
        return values, wrong
    return raw, wrong


def check(frame, rules: list[Column]) -> tuple[Any, list[Problem]]:
    """(the rule columns of ``frame`` in the model's order and types, indexed 0, 1, ...; every
    problem found, by row). With a column missing, (None, the missing columns)."""
    import numpy as np
    import pandas as pd

    missing = [rule.name for rule in rules if rule.name not in frame.columns]
    if missing:
        return None, [Problem(None, name, COLUMNS, "the column is missing") for name in missing]
    problems: list[Problem] = []
    out = {}
    for rule in rules:
        raw = frame[rule.name].to_numpy()
        present = ~pd.isna(raw)
        values, wrong = _typed(raw, present, rule.kind)
        found = [(wrong, TYPE, f"is not {_a(rule.kind)}")]
        if not rule.nullable:
            found.append((~present, NOT_NULL, "is missing"))
        ok = present & ~wrong
        if values.dtype.kind == "f" and rule.low is not None:
            low = values <= rule.low if rule.strict[0] else values < rule.low
            found.append((ok & low, BETWEEN, f"is below the minimum {rule.low:g}"))
        if values.dtype.kind == "f" and rule.high is not None:
            high = values >= rule.high if rule.strict[1] else values > rule.high
            found.append((ok & high, BETWEEN, f"is above the maximum {rule.high:g}"))
        if rule.allowed is not None:
            allowed = set(rule.allowed)
            seen = np.fromiter((v in allowed for v in values), bool, len(values))
            listed = ", ".join(map(_shown, rule.allowed[:10]))
            listed += ", ..." if len(rule.allowed) > 10 else ""
            found.append(
                (ok & ~seen, IN_SET, f"is not one of the values seen in training: {listed}")
            )
        for mask, kind, says in found:
            problems += [
                Problem(int(i), rule.name, kind, f"{_said(raw[i])} {says}")
                for i in np.flatnonzero(mask)
            ]
        out[rule.name] = values
    problems.sort(key=lambda p: p.row)
    return pd.DataFrame(out), problems


def _said(value: Any) -> str:
    import pandas as pd

    return "the value" if pd.isna(value) else _shown(value)


def _a(kind: str) -> str:
    words = {"integer": "a whole number", "boolean": "true or false", "text": "text"}
    return words.get(kind, "a number")


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
