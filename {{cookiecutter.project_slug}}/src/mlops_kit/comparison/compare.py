"""Compare the workspace metrics and params with those of the baseline.

    python -m mlops_kit.comparison.compare --baseline-file reports/baseline.json \\
        --metrics reports/metrics.json --out reports/compare.json
    python -m mlops_kit.comparison.compare --baseline main --metrics reports/metrics.json \\
        --out o.json

The baseline is what baseline.py found (metrics committed at a commit, or a published
release's metrics.json), or a git revision given by hand. The values and the parameter
changes come from `dvc metrics diff` and `dvc params diff` (diffs.py); parameters are diffed
against the baseline's commit even when it has no metrics. The judgement uses the rules under
`compare.metrics` in the baseline commit's params.yaml (gate.py), never the rules of the
change being judged: a change to them is shown, and applies once merged. With no baseline
there is nothing to gate. The gaps between slices (reports/slices.json) are judged with
`compare.slices` at the baseline's commit too (slicegate.py). With reports/models.json (a
project of many models), every model is compared with the baseline commit's too (models.py),
the full table written beside --out (models_compare.md and .csv) and, in GitHub Actions, to
the job summary. Exits 1 when a gated metric got worse by more than its tolerance, a slice
gap is above its limit beyond doubt, or more models got worse than `compare.models` allows.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.comparison import diffs, gate, model_files, models, slice_gaps
from mlops_kit.reporting import tables


def rules_at(
    sha: str, params_path: str, key="metrics", check=gate.check_rules, read: dict | None = None
) -> dict[str, Any]:
    """`compare.<key>` in params.yaml at ``sha`` ({} when the file or the section is absent);
    ``read``: that file's content, when it was read already."""
    section = (diffs.yaml_at(sha, params_path) if read is None else read).get("compare")
    try:
        return check(section.get(key, {}) if isinstance(section, dict) else {})
    except common.UserError as exc:
        raise common.UserError(f"{exc} (at the baseline, {sha[:7]})") from None


def compare(
    found: dict[str, Any],
    metrics_path: str,
    params_path: str,
    slices_path: str = slice_gaps.SLICES,
    at: str | None = None,
    models_path: str = models.MODELS,
) -> dict:
    """The content of compare.json against the baseline ``found`` (see baseline.py), for
    the workspace, or with ``at`` for the files of that commit (an experiment's)."""
    if at is None:
        mine = common.read_params(params_path)
        section = common.section_of(mine, "compare", params_path)
        new = common.read_json(metrics_path)
        slices = slice_gaps.read(slices_path)
        listed = common.read_json(models_path) if Path(models_path).is_file() else None
    else:
        mine = diffs.yaml_at(at, params_path)
        section = mine.get("compare") or {}
        new, slices = diffs.json_at(at, metrics_path), diffs.json_at(at, slices_path)
        listed = diffs.json_at(at, models_path)
    proposed = gate.check_rules(section.get("metrics", {}))
    proposed_slices = slice_gaps.check_rules(section.get("slices", {}))
    if not isinstance(new, dict):
        raise common.UserError(f"{metrics_path} does not hold a JSON object of metrics")
    new, old, rules, params = diffs.flatten(new), None, {}, None
    slice_rules, rules_from = {}, None  # no baseline commit: no slice is gated
    sha, base = found.get("sha"), {}
    if sha and diffs.known(sha):
        base = diffs.yaml_at(sha, params_path)  # read once: it can be large (overrides)
        slice_rules = rules_at(sha, params_path, "slices", slice_gaps.check_rules, base)
        rules_from = sha
        if at is None:
            params = diffs.params(sha, params_path)
        else:
            params = diffs.params_between(sha, at, params_path)
        if found["kind"] == "commit" and at is None:
            new, old = diffs.metrics(sha, metrics_path)
        elif found["kind"] == "commit":
            new, old = diffs.metrics_between(sha, at, metrics_path)
        elif found["kind"] == "release":
            old = diffs.flatten(found["metrics"])
        if old is not None:
            rules = rules_at(sha, params_path, read=base)
    label = tables.baseline_label({"baseline": sha, "baseline_info": found}) if old else sha
    result = gate.judge(new, old, rules, baseline=label)
    if old is None and sha:
        result["note"] = (
            f"No baseline: {found['reason']}"
            if found.get("reason")
            else f"No baseline metrics at {sha}; nothing to compare (first run?)"
        )
        if params is None:
            result["note"] += (
                f". {sha} is not in this clone: fetch it (or check out with fetch-depth: 0)"
            )
    result.update(baseline=sha, baseline_info={k: v for k, v in found.items() if k != "metrics"})
    result.update(rules=rules, proposed_rules=proposed if old and proposed != rules else None)
    result.update(params=params or [], params_compared=params is not None, params_against=sha)
    result["slices"] = slice_gaps.judge(slices if isinstance(slices, dict) else None, slice_rules)
    changed = rules_from and proposed_slices != slice_rules
    result["slices"].update(
        rules_from=rules_from, proposed_rules=proposed_slices if changed else None
    )
    if result["slices"]["failed"]:
        result["note"] += f"; slice gaps above their limit: {', '.join(result['slices']['failed'])}"
        result["passed"] = False
    if listed is not None:  # many models
        known = sha if params is not None else None
        params_read = (base, mine, section)
        result["models"] = models_against(listed, known, params_read, params_path, models_path)
        result["note"] += f"; {result['models']['note']}"
        result["passed"] = result["passed"] and not result["models"]["failed"]
    return result


def models_against(listed, sha, params_read: tuple, params_path: str, models_path: str):
    """compare.json's `models` (models.py) against the commit ``sha`` (None: none known);
    ``params_read``: (params.yaml at ``sha``, the new one, its `compare:` section)."""
    if sha is None:
        return models.compare(listed, None, {}, {}, None, models_path)
    base, mine, section = params_read
    rules = rules_at(sha, params_path, read=base)
    allowed = rules_at(sha, params_path, "models", models.check_rules, base)
    found = models.compare(listed, sha, rules, allowed, (base, mine), models_path)
    proposed = models.check_rules(section.get("models")).get("allow_worse", 0)
    found["proposed_allow_worse"] = proposed if proposed != found["allow_worse"] else None
    return found


def by_hand(rev: str | None) -> dict[str, Any]:
    """The baseline for --baseline REV: that commit, with or without metrics."""
    return {"kind": "commit" if rev else "none", "sha": rev, "tag": None, "base": None}


def experiment(rev: str) -> str:
    """``rev``, or the commit of the experiment of that name when git knows no such revision."""
    if diffs.known(rev):
        return rev
    from mlops_kit.comparison.experiments import listed  # it imports this module

    try:
        named = [e for e in listed() if e.name == rev]
    except common.UserError:  # not in a git checkout: the comparison says what is missing
        return rev
    if len(named) != 1:
        return rev
    print(f"compare: the baseline is experiment {rev}, commit {named[0].sha[:7]}")
    return named[0].sha


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--baseline", help="git revision (sha, branch, tag); '' or none: none")
    which.add_argument("--baseline-file", help="the JSON baseline.py wrote")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--slices", default=slice_gaps.SLICES)
    parser.add_argument("--models", default=models.MODELS, help="used when the file exists")
    args = parser.parse_args(argv)
    try:
        if args.baseline_file:
            found = common.read_json(args.baseline_file)
        else:
            rev = args.baseline.strip()
            found = by_hand(None if rev.lower() in ("", "none") else experiment(rev))
        result = compare(found, args.metrics, args.params, args.slices, models_path=args.models)
    except common.UserError as exc:
        return common.fail(exc)
    if found.get("sha") and not result["params_compared"]:
        print(f"::warning::Baseline {found['sha']} is not in this clone; nothing to compare")
    if "models" in result:
        result["models"]["tables"] = [str(p) for p in model_files.paths(Path(args.out).parent)]
    common.write_json(args.out, result, sort_keys=False)
    by_name = {m["metric"]: m for m in result["metrics"]}
    for name in result["regressions"]:
        print(f"::error::Regression: {gate.describe(by_name[name])}")
    for row in result["slices"]["rules"]:
        if row["status"] in ("fail", "warn"):
            kind = "error" if row["status"] == "fail" else "warning"
            print(f"::{kind}::Slice gap: {slice_gaps.describe(row)}")
    if "models" in result:
        model_files.publish(result["models"], Path(args.out).parent)
    print(f"compare: {result['note']}; wrote {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
