"""Validate stage on Spark: the same suite JSON, run through Great Expectations' Spark source.

The data never leaves the cluster: GX computes each expectation there, and only the
results (counts, a few example values) come back. Verdicts and unexpected counts equal
the local engine's on the same data. A ``type_list`` is checked against Spark's type names
(``DoubleType``, ``LongType``, ``StringType``...), which the suite lists beside pandas' names.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from mlops_kit import common
from mlops_kit.pipeline import validate as local
from mlops_kit.spark import session as spark
from mlops_kit.validation import checks, findings

UNIQUE_COUNT = "expect_column_unique_value_count_to_be_between"
TYPE_LIST = "expect_column_values_to_be_in_type_list"


def _type_counts(frame, outcome: dict[str, Any]) -> dict[str, Any]:
    """GX checks a type list against Spark's schema, with no count; the local engine checks
    a text column value by value. Give a text column that count: 0, or its non-null rows."""
    column = outcome["column"]
    if outcome["expectation"] != TYPE_LIST or column not in frame.columns:
        return outcome
    if type(frame.schema[column].dataType).__name__ != "StringType":
        return outcome
    rows = 0 if outcome["success"] else frame.where(frame[column].isNotNull()).count()
    return {**outcome, "unexpected_count": rows}


def class_counts(frame, item: dict[str, Any], examples: int) -> dict[str, Any]:
    """checks.CLASS_COUNTS on a Spark DataFrame: counted on the cluster, nulls left out, judged
    by checks.counted (only the classes short of rows come back to the driver)."""
    column, least = item["kwargs"]["column"], checks.least_rows(item)
    if column not in frame.columns:
        return checks.counted(None, item, examples)
    counts = frame.where(frame[column].isNotNull()).groupBy(column).count()
    rows = counts.where(counts["count"] < least).collect()
    return checks.counted({r[0]: int(r[1]) for r in rows}, item, examples)


def _shown(frame, columns: set[str], examples: int):
    """A small pandas frame with Spark's columns and a few distinct values of ``columns``:
    what checks' outcome builder reads to show the values a unique-count rule found."""
    import pandas as pd

    values = {
        c: frame.select(c).dropna().distinct().limit(examples).toPandas()[c]
        for c in sorted(columns & set(frame.columns))
    }
    return pd.DataFrame(values).reindex(columns=frame.columns)


def run_suite(frame, suite: dict[str, Any], examples: int = 5) -> list[dict[str, Any]]:
    """Validate the Spark DataFrame ``frame`` against ``suite``; one outcome per expectation."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        items = dict(enumerate(suite["expectations"], start=1))
        built, entries = checks.build(items)
        own = {number: class_counts(frame, item, examples) for number, item in entries.items()}
        unique = {
            item.get("kwargs", {}).get("column")
            for item in items.values()
            if isinstance(item, dict) and item.get("type") == UNIQUE_COUNT
        }
        gx_suite = gx.ExpectationSuite(name=str(suite.get("name") or "suite"), expectations=built)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_spark("data").add_dataframe_asset("frame")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame}
        )
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 20 + examples}
        results = batch.validate(gx_suite, result_format=result_format).results
    shown = _shown(frame, unique, examples)
    outcomes = {
        r.expectation_config.meta["position"]: _type_counts(
            frame, checks.outcome(r, examples, shown)
        )
        for r in results
    }
    return [outcome for _, outcome in sorted({**outcomes, **own}.items())]


def validate(data: str, suite_path: str, summary_path: str, report_path: str, examples: int):
    """validate.validate() on Spark: the same summary and report, computed on the cluster."""
    suite = local.load_suite(suite_path)
    with spark.session("validate") as session:
        frame = spark.read(session, data)
        rows = frame.count()
        outcomes = run_suite(frame, suite, examples)
    summary = findings.summarise(outcomes, rows)
    common.write_json(summary_path, summary)
    common.write_text(report_path, findings.render_report(summary, outcomes, data))
    return summary, outcomes


def main(argv: list[str] | None = None) -> int:
    return local.main(argv, run=validate)
