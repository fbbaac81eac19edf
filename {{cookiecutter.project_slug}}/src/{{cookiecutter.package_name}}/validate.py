"""Validate stage: check the raw data against the Great Expectations suite."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from . import common

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

HIDDEN_KWARGS = ("column", "column_list", "batch_id")


def load_suite(path: str | Path) -> dict[str, Any]:
    """Read a suite JSON file and check its overall shape."""
    suite = common.read_json(path)
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise common.UserError(f"{path} is not an expectation suite (no 'expectations' list)")
    return suite


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


def validate(data: str, suite_path: str, summary_path: str, report_path: str, examples: int):
    """Validate ``data``, write the summary and report, and return the summary and outcomes."""
    frame = common.read_table(data)
    outcomes = run_suite(frame, load_suite(suite_path), examples)
    summary = summarise(outcomes, len(frame))
    common.write_json(summary_path, summary)
    common.ensure_parent(report_path).write_text(
        render_report(summary, outcomes, data), encoding="utf-8"
    )
    return summary, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("data", "suite", "summary", "report"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    try:
        examples = common.require(common.load_params("validate"), "examples", "validate")
        if not isinstance(examples, int) or isinstance(examples, bool) or examples < 0:
            raise common.UserError("params.yaml: validate.examples must be a whole number >= 0")
        summary, outcomes = validate(args.data, args.suite, args.summary, args.report, examples)
    except common.UserError as exc:
        return common.fail(exc)
    for outcome in outcomes:
        if not outcome["success"]:
            print(f"validation failed: {describe(outcome)}", file=sys.stderr)
    if not summary["success"]:
        print(f"see {args.report}; fix the data or update {args.suite}", file=sys.stderr)
        return 1
    print(f"validate: {summary['evaluated']} expectations met on {summary['rows']} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
