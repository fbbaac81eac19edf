"""Validate stage: check the raw data against the Great Expectations suite."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from . import checks, common, findings


def load_suite(path: str | Path) -> dict[str, Any]:
    """Read a suite JSON file and check its overall shape."""
    suite = common.read_json(path)
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise common.UserError(f"{path} is not an expectation suite (no 'expectations' list)")
    return suite


def validate(data: str, suite_path: str, summary_path: str, report_path: str, examples: int):
    """Validate ``data``, write the summary and report, and return the summary and outcomes."""
    frame = common.read_table(data)
    outcomes = checks.run_suite(frame, load_suite(suite_path), examples)
    summary = findings.summarise(outcomes, len(frame))
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
        examples = common.require(common.load_params("validate"), "examples", "validate")
        if not isinstance(examples, int) or isinstance(examples, bool) or examples < 0:
            raise common.UserError("params.yaml: validate.examples must be a whole number >= 0")
        summary, outcomes = (run or validate)(
            args.data, args.suite, args.summary, args.report, examples
        )
    except common.UserError as exc:
        return common.fail(exc)
    for outcome in outcomes:
        if not outcome["success"]:
            print(f"validation failed: {findings.describe(outcome)}", file=sys.stderr)
    if not summary["success"]:
        print(f"see {args.report}; fix the data or update {args.suite}", file=sys.stderr)
        return 1
    print(f"validate: {summary['evaluated']} expectations met on {summary['rows']} rows")
    return 0


if __name__ == "__main__":
    common.run(main)
