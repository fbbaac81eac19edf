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
    present = ~np.isnan(values)
    bound = np.array([[np.nan if r.low is None else r.low for r in rules],
                      [np.nan if r.high is None else r.high for r in rules]])  # fmt: skip
    strict = np.array([r.strict for r in rules]).T
    integer = np.array([r.kind == "integer" for r in rules])
    wrong = present & integer & (np.mod(np.nan_to_num(values), 1) != 0)
    ok = present & ~wrong
    with np.errstate(invalid="ignore"):
        low = np.where(strict[0], values <= bound[0], values < bound[0])
        high = np.where(strict[1], values >= bound[1], values > bound[1])
    masks = [
        (wrong, TYPE, lambda r: f"is not {_a(r.kind)}"),
        (~present & ~np.array([r.nullable for r in rules]), NOT_NULL, lambda r: "is missing"),
        (ok & low, BETWEEN, lambda r: f"is below the minimum {r.low:g}"),
        (ok & high, BETWEEN, lambda r: f"is above the maximum {r.high:g}"),
    ]
    for kind_number, (mask, kind, says) in enumerate(masks):
        for i, j in zip(*np.nonzero(mask), strict=True):
            rule, raw = rules[j], frame.iloc[i, j]
            problem = Problem(int(i), rule.name, kind, f"{_said(raw)} {says(rule)}")
            found.append((int(i), numbers[j], kind_number, problem))
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
