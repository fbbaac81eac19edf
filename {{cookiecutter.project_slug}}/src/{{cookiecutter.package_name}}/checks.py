"""Run an expectation suite with Great Expectations and turn each result into a plain outcome."""

from __future__ import annotations

import logging
import math
import os
import warnings
from typing import Any

from . import common

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

HIDDEN_KWARGS = ("column", "column_list", "batch_id")


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
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


def _outcome(result: Any, examples: int, columns: list[str]) -> dict[str, Any]:
    config = result.expectation_config
    details = result.result or {}
    observed = details.get("observed_value")
    observed = [_plain(v) for v in observed] if isinstance(observed, list) else _plain(observed)
    column = config.kwargs.get("column")
    error = _error(result.exception_info)
    if error and column is not None and column not in columns:
        error = f"column {column!r} is not in the data"
    return {
        "expectation": config.type,
        "column": column,
        "kwargs": {k: v for k, v in config.kwargs.items() if k not in HIDDEN_KWARGS},
        "success": bool(result.success),
        "unexpected_count": details.get("unexpected_count"),
        "examples": _distinct(details.get("partial_unexpected_list", []))[:examples],
        "observed": observed,
        "expected": config.kwargs.get("column_list"),
        "error": error,
    }


def _gx_frame(frame):
    """Give text and categorical columns object dtype, which GX type checks understand."""
    from pandas.api import types

    text = [c for c in frame if not types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
    return frame.astype(dict.fromkeys(text, object)) if text else frame


def run_suite(frame, suite: dict[str, Any], examples: int = 5) -> list[dict[str, Any]]:
    """Validate ``frame`` against ``suite`` and return one outcome per expectation."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        built = []
        for number, item in enumerate(suite["expectations"], start=1):
            try:
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
        gx_suite = gx.ExpectationSuite(name=str(suite.get("name") or "suite"), expectations=built)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("data").add_dataframe_asset("frame")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": _gx_frame(frame)}
        )
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 20 + examples}
        results = batch.validate(gx_suite, result_format=result_format).results
    results = sorted(results, key=lambda result: result.expectation_config.meta["position"])
    return [_outcome(result, examples, list(map(str, frame.columns))) for result in results]
