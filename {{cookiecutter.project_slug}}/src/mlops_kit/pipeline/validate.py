"""Validate stage: check the raw data against the Great Expectations suite."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.validation import checks, chunks, findings


def load_suite(path: str | Path) -> dict[str, Any]:
    """Read a suite JSON file and check its overall shape."""
    suite = common.read_json(path)
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise common.UserError(f"{path} is not an expectation suite (no 'expectations' list)")
    return suite


def check(data: str, suite: dict[str, Any], examples: int, chunk_rows: int | None = None):
    """Return the outcomes of ``suite`` on ``data`` and its row count: the whole table at
    once, or with ``chunk_rows``, a Parquet file batch by batch (same outcomes)."""
    if chunk_rows is None:
        frame = common.read_table(data)
        return checks.run_suite(frame, suite, examples), len(frame)
    if Path(data).suffix.lower() != ".parquet":
        raise common.UserError(
            f"validate.chunk_rows reads Parquet batch by batch, and {data} is not Parquet; "
            "set validate.chunk_rows: null"
        )
    return chunks.run_suite(data, suite, examples, chunk_rows)


def validate(
    data: str, suite_path: str, summary_path: str, report_path: str, examples: int, chunk_rows=None
):
    """Validate ``data``, write the summary and report, and return the summary and outcomes."""
    outcomes, rows = check(data, load_suite(suite_path), examples, chunk_rows)
    summary = findings.summarise(outcomes, rows)
    common.write_json(summary_path, summary)
    common.write_text(report_path, findings.render_report(summary, outcomes, data))
    return summary, outcomes


def main(argv: list[str] | None = None, run=None) -> int:
    """The stage's command line; ``run`` stands in for validate() (the Spark stage's)."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("data", "suite", "summary", "report"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    try:
        params = common.load_params("validate")
        examples = common.require(params, "examples", "validate")
        if not isinstance(examples, int) or isinstance(examples, bool) or examples < 0:
            raise common.UserError("params.yaml: validate.examples must be a whole number >= 0")
        rows = common.require(params, "chunk_rows", "validate")
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
            raise common.UserError("params.yaml: validate.chunk_rows must be null or a number >= 1")
        paths = (args.data, args.suite, args.summary, args.report)
        if run is None:
            summary, outcomes = validate(*paths, examples, rows)
        elif rows is not None:
            raise common.UserError(
                "params.yaml: validate.chunk_rows is for compute=local; Spark reads the data in "
                "partitions already: set it to null"
            )
        else:
            summary, outcomes = run(*paths, examples)
    except common.UserError as exc:
        return common.fail(exc)
    for outcome in outcomes:
        if not outcome["success"]:
            print(f"validation failed: {findings.describe(outcome)}", file=sys.stderr)
    if not summary["success"]:
        print(f"see {args.report}; fix the data or update {args.suite}", file=sys.stderr)
        return 1
    print(f"validate: {summary['evaluated']} expectations met on {summary['rows']} rows")
    common.before_exit(argv)
    return 0
