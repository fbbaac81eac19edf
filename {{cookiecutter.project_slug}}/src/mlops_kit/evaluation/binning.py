"""The slices of one `evaluate.slices` item: a label for every row of the test split.

A column name takes the column's values as they are (numbers shown to 6 significant
digits, a missing value as "(missing)"); a number column with more than 20 distinct
values must be binned: `{column: age, bins: [30, 50]}` cuts it at those edges into
[-inf, 30), [30, 50), [50, inf); `{column: bmi, quantiles: 4}` at its quartiles on the
test split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_kit import common

MAX_LEVELS = 20  # a number column with more distinct values must be binned
MISSING = "(missing)"


def _edge(value: float) -> str:
    return f"{value:.4g}"


def labels(frame, spec) -> tuple[str, str | None, Any]:
    """(column, binning or None, the slice label of every row) for one `evaluate.slices` item."""
    import pandas as pd

    column = spec.get("column") if isinstance(spec, dict) else spec
    where = f"params.yaml: evaluate.slices item {spec!r}"
    if not isinstance(column, str) or column not in frame.columns:
        raise common.UserError(f"{where} names no column of the test split; use a column name")
    values = frame[column]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    extra = set(spec) - {"column"} if isinstance(spec, dict) else set()
    if not extra:
        if numeric and values.nunique() > MAX_LEVELS:
            raise common.UserError(
                f"{where}: {column!r} is a number with {values.nunique()} values; bin it, e.g. "
                + "{column: NAME, bins: [30, 50]} or {column: NAME, quantiles: 4}".replace(
                    "NAME", column
                )
            )
        shown = values.map(lambda v: f"{v:.6g}" if isinstance(v, float) else str(v))
        return column, None, shown.where(values.notna(), MISSING)
    if not numeric or extra not in ({"bins"}, {"quantiles"}):
        raise common.UserError(f"{where}: give a number column with bins: [...] or quantiles: n")
    if "bins" in extra:
        edges, binning = spec["bins"], f"bins {spec['bins']}"
        if not isinstance(edges, list) or not all(number(e) for e in edges):
            raise common.UserError(f"{where}: bins must be a list of numbers, e.g. [30, 50]")
    else:
        count = spec["quantiles"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 2:
            raise common.UserError(f"{where}: quantiles must be a whole number >= 2")
        edges = np.nanquantile(values.to_numpy(float), np.arange(1, count) / count).tolist()
        binning = f"quantiles {count}: {', '.join(_edge(e) for e in sorted(set(edges)))}"
    edges = [-np.inf, *sorted(set(float(e) for e in edges)), np.inf]
    names = [f"[{_edge(lo)}, {_edge(hi)})" for lo, hi in zip(edges, edges[1:], strict=False)]
    cut = pd.cut(values, edges, right=False, labels=names).astype(object)
    return column, binning, cut.where(values.notna(), MISSING).astype(str)


def number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
