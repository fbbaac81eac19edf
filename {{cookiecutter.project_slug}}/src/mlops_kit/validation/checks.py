"""Run an expectation suite with Great Expectations and turn each result into a plain outcome.

One rule GX has no expectation for is checked here, in the same shape: each class of a
target has at least ``min_value`` rows (``expect_column_value_counts_to_be_at_least``).
"""

from __future__ import annotations

import math
from typing import Any

from mlops_kit import common
from mlops_kit.validation import gxrun

HIDDEN_KWARGS = ("column", "column_list", "batch_id")
CLASS_COUNTS = "expect_column_value_counts_to_be_at_least"


def _plain(value: Any) -> Any:
    """A JSON-ready value: NaN becomes None, infinities the text 'inf' and '-inf'."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _distinct(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in map(_plain, values):
        if value not in seen:
            seen.append(value)
    return seen


def _error(info: Any) -> str | None:
    infos = [info] if isinstance(info, dict) and "raised_exception" in info else []
    if isinstance(info, dict) and not infos:
        infos = [v for v in info.values() if isinstance(v, dict)]
    for item in infos:
        if item.get("raised_exception"):
            return " ".join(str(item.get("exception_message") or "error").split())
    return None


def outcome(result: Any, examples: int, frame) -> dict[str, Any]:
    config = result.expectation_config
    details = result.result or {}
    observed = details.get("observed_value")
    observed = [_plain(v) for v in observed] if isinstance(observed, list) else _plain(observed)
    column = config.kwargs.get("column")
    found = column in frame.columns
    error = _error(result.exception_info)
    if error and column is not None and not found:
        error = f"column {column!r} is not in the data"
    shown = details.get("partial_unexpected_list", [])
    if config.type == "expect_column_unique_value_count_to_be_between" and found:
        shown = frame[column].dropna().unique()[:examples].tolist()  # the values there are
    return {
        "expectation": config.type,
        "column": column,
        "target": bool(config.meta.get("target")),
        "kwargs": {k: v for k, v in config.kwargs.items() if k not in HIDDEN_KWARGS},
        "success": bool(result.success),
        "unexpected_count": details.get("unexpected_count"),
        "examples": _distinct(shown)[:examples],
        "observed": observed,
        "expected": config.kwargs.get("column_list"),
        "error": error,
    }


def least_rows(item: dict[str, Any]) -> int:
    """The ``min_value`` of a CLASS_COUNTS entry (which names a column), checked."""
    if "column" not in item["kwargs"]:
        raise ValueError("it names no column")
    least = item["kwargs"]["min_value"]
    if not isinstance(least, int) or isinstance(least, bool):
        raise ValueError(f"min_value must be a whole number, not {least!r}")
    return least


def class_counts(frame, item: dict[str, Any], examples: int) -> dict[str, Any]:
    """The outcome of CLASS_COUNTS: every class of ``column`` has ``min_value`` rows or more."""
    column = item["kwargs"]["column"]
    counts = frame[column].value_counts() if column in frame.columns else None
    return counted(counts, item, examples)


def counted(counts, item: dict[str, Any], examples: int) -> dict[str, Any]:
    """The outcome of CLASS_COUNTS from the rows of each class (None: no such column)."""
    column, least = item["kwargs"]["column"], least_rows(item)
    found = counts is not None
    counts = counts if found else {}
    small = sorted(([_plain(k), int(n)] for k, n in counts.items() if n < least), key=str)
    return {
        "expectation": CLASS_COUNTS,
        "column": column,
        "target": bool((item.get("meta") or {}).get("target")),
        "kwargs": {"min_value": least},
        "success": found and not small,
        "unexpected_count": len(small) if found else None,
        "examples": [value for value, _ in small][:examples],
        "observed": small[:examples],  # [class, rows] of the classes short of rows
        "expected": None,
        "error": None if found else f"column {column!r} is not in the data",
    }


def build(items: dict[int, Any]) -> tuple[list[Any], dict[int, dict[str, Any]]]:
    """Return the GX expectations of ``items`` ({position: suite entry}), each with its
    position in ``meta``, and the entries checks.py runs itself (CLASS_COUNTS)."""
    with gxrun.quiet():
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        built, own = [], {}
        for number, item in items.items():
            try:
                if isinstance(item, dict) and item.get("type") == CLASS_COUNTS:
                    least_rows(item)
                    own[number] = item
                    continue
                config = ExpectationConfiguration(
                    type=item["type"],
                    kwargs=item.get("kwargs", {}),
                    meta={**(item.get("meta") or {}), "position": number},
                )
                built.append(config.to_domain_obj())
            except Exception as exc:
                kind = item.get("type") if isinstance(item, dict) else item
                raise common.UserError(
                    f"suite expectation {number} ({kind}) is invalid: {exc}"
                ) from exc
    return built, own


def run_suite(frame, suite: dict[str, Any], examples: int = 5) -> list[dict[str, Any]]:
    """Validate ``frame`` against ``suite`` and return one outcome per expectation."""
    built, own = build(dict(enumerate(suite["expectations"], start=1)))
    runner = gxrun.Runner(built, str(suite.get("name") or "suite"), examples)
    outcomes = {n: outcome(r, examples, frame) for n, r in runner.validate(frame).items()}
    outcomes.update({n: class_counts(frame, item, examples) for n, item in own.items()})
    return [outcomes[number] for number in sorted(outcomes)]
