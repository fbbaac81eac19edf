"""Rows checked against the input rules (input_rules.py) at once, column by column.

Great Expectations is not run here (far too slow per request: about 0.4 s a validation on one
row). The number columns that arrive as numbers are checked together as one matrix, one numpy
operation per rule type rather than per column: a one-row request has dozens of columns, and
per-column work would cost more than scoring it. Text, boolean, value-set and not yet typed
columns are checked one by one.
"""

from __future__ import annotations

import contextlib
from typing import Any

from mlops_kit.serving.input_rules import (
    BETWEEN,
    COLUMNS,
    IN_SET,
    NOT_NULL,
    TYPE,
    Column,
    Problem,
    shown,
)


def check(frame, rules: list[Column]) -> tuple[Any, list[Problem]]:
    """(the rule columns of ``frame`` in the model's order and types, indexed 0, 1, ...; every
    problem found, by row). With a column missing, (None, the missing columns)."""
    import pandas as pd

    missing = [rule.name for rule in rules if rule.name not in frame.columns]
    if missing:
        return None, [Problem(None, name, COLUMNS, "the column is missing") for name in missing]
    found: list[tuple[int, int, int, Problem]] = []  # (row, rule, check, problem) to sort
    dtypes = dict(zip(frame.columns, frame.dtypes.tolist(), strict=True))
    numeric = [
        n for n, rule in enumerate(rules)
        if rule.kind in ("number", "integer") and rule.allowed is None
        and dtypes[rule.name].kind in "iuf"
    ]  # fmt: skip
    out = {}
    if numeric:
        matrix = _numbers(frame, [rules[n] for n in numeric], numeric, found)
        out = {rules[n].name: matrix[:, j] for j, n in enumerate(numeric)}
    for number, rule in enumerate(rules):
        if rule.name not in out:
            out[rule.name] = _column(frame[rule.name].to_numpy(), rule, number, found)
    found.sort(key=lambda item: item[:3])
    if numeric and len(numeric) == len(rules):  # all numbers: one block, in the model's order
        clean = pd.DataFrame(matrix, columns=list(out))
    else:
        clean = pd.DataFrame({rule.name: out[rule.name] for rule in rules})
    return clean, [item[3] for item in found]


def _numbers(frame, rules: list[Column], numbers: list[int], found: list):
    """The number and integer columns already of a numeric dtype, checked as one matrix (one
    numpy operation per check, not per column: a one-row request has dozens of columns)."""
    import numpy as np

    names = [rule.name for rule in rules]
    frame = frame if list(frame.columns) == names else frame[names]
    values = frame.to_numpy(dtype="float64", na_value=np.nan)
    present = ok = ~np.isnan(values)

    def which(test) -> list[int]:
        return [j for j, rule in enumerate(rules) if test(rule)]

    def part(matrix, columns: list[int]):
        return matrix if len(columns) == len(rules) else matrix[:, columns]

    def report(columns: list[int], mask, order: int, kind: str, says) -> None:
        for i, k in zip(*np.nonzero(mask), strict=True) if mask.any() else ():
            j, row = columns[k], int(i)
            problem = Problem(row, names[j], kind, f"{_said(frame.iloc[row, j])} {says(rules[j])}")
            found.append((row, numbers[j], order, problem))

    with np.errstate(invalid="ignore"):
        if whole := which(lambda r: r.kind == "integer"):
            wrong = part(present, whole) & (np.mod(part(values, whole), 1) != 0)
            ok = present.copy()
            ok[:, whole] &= ~wrong
            report(whole, wrong, 0, TYPE, lambda r: f"is not {_a(r.kind)}")
        if required := which(lambda r: not r.nullable):
            report(required, ~part(present, required), 1, NOT_NULL, lambda r: "is missing")
        for side, order, says in ((0, 2, "is below the minimum"), (1, 3, "is above the maximum")):
            if not (bounded := which(lambda r, s=side: (r.low, r.high)[s] is not None)):
                continue
            limit = np.array([(rules[j].low, rules[j].high)[side] for j in bounded], dtype=float)
            strict = np.array([rules[j].strict[side] for j in bounded])
            among = part(values, bounded)
            beyond = among < limit if side == 0 else among > limit
            if strict.any():
                edge = among[:, strict] == limit[strict]
                beyond[:, strict] |= edge
            report(bounded, part(ok, bounded) & beyond, order, BETWEEN,
                   lambda r, s=side, w=says: f"{w} {(r.low, r.high)[s]:g}")  # fmt: skip
    return values


def _column(raw, rule: Column, number: int, found: list):
    """One column checked on its own (text, boolean, a set of values, or not yet typed)."""
    import numpy as np
    import pandas as pd

    present = ~pd.isna(raw)
    values, wrong = _typed(raw, present, rule.kind)
    checks = [(wrong, TYPE, f"is not {_a(rule.kind)}")]
    if not rule.nullable:
        checks.append((~present, NOT_NULL, "is missing"))
    ok = present & ~wrong
    if values.dtype.kind == "f" and rule.low is not None:
        low = values <= rule.low if rule.strict[0] else values < rule.low
        checks.append((ok & low, BETWEEN, f"is below the minimum {rule.low:g}"))
    if values.dtype.kind == "f" and rule.high is not None:
        high = values >= rule.high if rule.strict[1] else values > rule.high
        checks.append((ok & high, BETWEEN, f"is above the maximum {rule.high:g}"))
    if rule.allowed is not None:
        allowed = set(rule.allowed)
        seen = np.fromiter((v in allowed for v in values), bool, len(values))
        listed = ", ".join(map(shown, rule.allowed[:10]))
        listed += ", ..." if len(rule.allowed) > 10 else ""
        checks.append((ok & ~seen, IN_SET, f"is not one of the values seen in training: {listed}"))
    for kind_number, (mask, kind, says) in enumerate(checks):
        for i in np.flatnonzero(mask).tolist():
            problem = Problem(i, rule.name, kind, f"{_said(raw[i])} {says}")
            found.append((i, number, kind_number, problem))
    return values


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


def _said(value: Any) -> str:
    import pandas as pd

    return "the value" if pd.isna(value) else shown(value)


def _a(kind: str) -> str:
    words = {"integer": "a whole number", "boolean": "true or false", "text": "text"}
    return words.get(kind, "a number")
