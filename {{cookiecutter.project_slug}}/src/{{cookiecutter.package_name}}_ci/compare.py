"""Compare the workspace metrics and params with those of a baseline git revision.

    python -m <package>_ci.compare --baseline main --metrics reports/metrics.json \\
        --out reports/compare.json

The values and the parameter changes come from `dvc metrics diff` and `dvc params diff`
(diffs.py); the judgement from the rules under `compare.metrics` in params.yaml (gate.py).
Parameters are diffed against the baseline commit even when it has no metrics.
`--baseline none` (or '') means there is no baseline, e.g. on the first commit.
Exits 1 when a gated metric got worse by more than its tolerance; other metrics are
reported but never block.
"""

from __future__ import annotations

import argparse

from {{ cookiecutter.package_name }} import common

from . import diffs, gate


def compare(rev: str | None, metrics_path: str, params_path: str) -> dict:
    """The content of compare.json against the baseline ``rev`` (None: no baseline)."""
    rules = gate.check_rules(common.load_params("compare", params_path).get("metrics", {}))
    new = common.read_json(metrics_path)
    if not isinstance(new, dict):
        raise common.UserError(f"{metrics_path} does not hold a JSON object of metrics")
    old, params = None, None
    if rev and diffs.known(rev):
        new, old = diffs.metrics(rev, metrics_path)
        params = diffs.params(rev, params_path)
    result = gate.judge(new, old, rules, baseline=rev)
    result["params"] = params or []
    result["params_compared"] = params is not None
    if rev and params is None:
        result["note"] += (
            f". {rev} is not in this clone: fetch it (or check out with fetch-depth: 0)"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--baseline", required=True, help="git revision (sha, branch, tag); '' or none: no baseline"
    )
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    rev = None if args.baseline.strip().lower() in ("", "none") else args.baseline.strip()
    try:
        result = compare(rev, args.metrics, args.params)
    except common.UserError as exc:
        return common.fail(exc)
    if rev and not result["params_compared"]:
        print(f"::warning::Baseline {rev} is not in this clone; nothing to compare against")
    common.write_json(args.out, result, sort_keys=False)
    by_name = {m["metric"]: m for m in result["metrics"]}
    for name in result["regressions"]:
        print(f"::error::Regression: {gate.describe(by_name[name])}")
    print(f"compare: {result['note']}; wrote {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
