"""Check a batch of new data against the reference profile: drift and, with the target, metrics.

    python -m mlops_kit.monitoring.monitor [--current data/monitor/current.csv] \\
        [--out reports/monitor]
    python -m mlops_kit.monitoring.monitor --stage production   # the model deployed there
    python -m mlops_kit.monitoring.monitor --release latest     # or --release model@v1.2.0

Without --current, the batch is params.yaml's monitor.current. The model, its reference
profile and its metrics are this checkout's (--model, --profile, --metrics; by default
models/model.joblib, reports/profile.json, reports/metrics.json), or, with --release or
--stage, those of a published release, downloaded and checked against git before anything
reads them, as `serve --release` does (released.py; GITHUB_TOKEN, GITHUB_REPOSITORY as
there). The thresholds and the metrics' `compare:` rules are always this checkout's
params.yaml. monitor.json's `inputs` names the files, and the release and its commit. When
--models (reports/models.json) exists and no file of one model is named, every model of the
many-models project is checked on its segment's rows, all at once (many.py, listing.py); with
--release models-release-<N> (or latest there), every model of that release (many_release.py).

Writes monitor.json (with the time of the check, `checked_at`, and the inputs' paths) and
monitor.md to --out, only when the check finished; a check that fails removes those of an
earlier one first. Exits 0 when healthy (or when the batch is too small to judge: it says
so), 1 when a column or the predictions (of any model) drifted or a metric got worse beyond
its `compare:` tolerance, and 2 for anything else: bad input, a model or profile that cannot be
read, or any unexpected failure (one line). Thresholds are under `monitor:` in params.yaml; the
statistics are in drift.py, the profile checks in reference.py, the report in report.py.
"""

from __future__ import annotations

import argparse
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import predictions, profile
from mlops_kit.monitoring import drift, many_release, reference, released, report

MODELS = "reports/models.json"
SETTINGS = ("alpha", "min_rows", "min_effect", "max_missing_change", "max_unseen")


def settings_of(params: dict[str, Any]) -> dict[str, float]:
    """monitor.alpha, min_rows, ... from params.yaml, checked."""
    section = common.section_of(params, "monitor")
    found = {key: common.require(section, key, "monitor") for key in SETTINGS}
    for key, value in found.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise common.UserError(f"params.yaml: monitor.{key} must be a number >= 0")
    if not 0 < found["alpha"] < 1:
        raise common.UserError("params.yaml: monitor.alpha must be between 0 and 1")
    return found


def column_checks(name: str, ref: dict, values, settings: dict) -> dict[str, Any]:
    """The tests of one column (or of the predictions) and the values they need."""
    if ref["kind"] == "numeric":
        tests, unseen, examples = drift.numeric_tests(ref, values), 0.0, []
    else:
        tests, unseen, examples = drift.categorical_tests(ref, values)
    for test in drift.missing_test(ref, values):
        tests.append({**test, "minimum": settings["max_missing_change"]})
    for test in tests:
        minimum = settings["max_unseen"] if test["test"] == "unseen" else settings["min_effect"]
        test.setdefault("minimum", minimum)
    row = {"column": name, "kind": ref["kind"], "tests": tests, "unseen": unseen}
    row.update(missing=drift.missing_rate(values), reference_missing=ref["missing"])
    return {**row, "unseen_examples": examples}


def judge(columns: list[dict], settings: dict) -> None:
    """Holm over every test of the batch; a column drifts when one of its tests is rejected
    with an effect of at least its minimum (for unseen values, monitor.max_unseen)."""
    tests = [test for column in columns for test in column["tests"]]
    for test in tests:  # a test that could not be computed (NaN) rejects nothing
        test["p"] = test["p"] if test["p"] == test["p"] else 1.0
    for test, adjusted in zip(tests, drift.holm([t["p"] for t in tests]), strict=True):
        test["p_adjusted"] = float(adjusted)
        test["drift"] = bool(adjusted < settings["alpha"] and test["effect"] >= test["minimum"])
    for column in columns:
        column["effect"] = max((t["effect"] for t in column["tests"]), default=0.0)
        column["p_adjusted"] = min((t["p_adjusted"] for t in column["tests"]), default=1.0)
        column["new_values"] = any(t["drift"] for t in column["tests"] if t["test"] == "unseen")
        column["drift"] = any(t["drift"] for t in column["tests"])


def measure(batch, ref: dict, model, settings: dict, score: bool):
    """(the tests of the batch's columns and predictions, not judged yet; the model's
    Predictions; the labelled rows to score, None when ``score`` is false or too few)."""
    features = batch[list(ref["features"])]
    for name, column in ref["features"].items():
        values = features[name]
        if column["kind"] == "numeric" and not profile.is_numeric(values) and values.notna().any():
            raise common.UserError(f"column {name!r} holds text; the model takes numbers")
    columns = [
        column_checks(name, column, features[name].to_numpy(dtype=object), settings)
        for name, column in ref["features"].items()
    ]
    labelled = batch[ref["target"]].notna() if ref["target"] in batch.columns else None
    scored = labelled is not None and labelled.sum() >= settings["min_rows"] and score
    try:  # one prediction of the batch, for its drift and its metrics
        made = predictions.of(model, features, ref["task"], proba=scored)
    except Exception as exc:
        raise common.UserError(f"the model cannot score the batch: {exc}") from exc
    predicted = profile.described(made.predict(), ref["task"])
    columns.append(column_checks("(prediction)", ref["prediction"], predicted, settings))
    return columns, made, labelled.to_numpy().nonzero()[0] if scored else None


def scores(made, rows, batch, ref: dict, rules: dict, metrics: dict, alpha: float) -> list:
    """The metrics of the labelled ``rows``, judged against ``metrics`` with ``rules``."""
    from mlops_kit.monitoring import performance

    try:
        found, spread = performance.bootstrap(
            made.of_rows(rows), batch[ref["target"]].iloc[rows], ref["task"]
        )
    except (ValueError, TypeError) as exc:
        raise common.UserError(f"cannot score the batch's {ref['target']!r}: {exc}") from exc
    return performance.judge(found, spread, metrics, rules, alpha)


def check(batch, ref: dict, model, settings: dict, params: dict, metrics: dict | None) -> dict:
    """The monitoring result for ``batch`` (a data frame): see report.py for its report."""
    reference.lacking(batch, ref)
    result: dict[str, Any] = {"rows": len(batch), "reference_rows": ref["rows"], **settings}
    if len(batch) < settings["min_rows"]:
        note = f"{len(batch)} rows is too few to judge (monitor.min_rows: {settings['min_rows']})"
        return {**result, "status": "too small", "note": note, "columns": [], "metrics": []}
    columns, made, rows = measure(batch, ref, model, settings, metrics is not None)
    judge(columns, settings)
    result["columns"], result["metrics"] = columns, []
    if rows is not None:
        rules = (params.get("compare") or {}).get("metrics") or {}
        result["metrics"] = scores(made, rows, batch, ref, rules, metrics, settings["alpha"])
    drifted = [c["column"] for c in columns if c["drift"]]
    degraded = [m["metric"] for m in result["metrics"] if m["degraded"]]
    result["status"] = "unhealthy" if drifted or degraded else "healthy"
    result["note"] = report.summary_line(len(columns), drifted, degraded)
    return result


def run(args) -> dict[str, Any]:
    """Check the batch as ``args`` say and write the report; return what monitor.json holds."""
    params = common.read_params()
    settings = settings_of(params)
    current = args.current or (params.get("monitor") or {}).get("current")
    if not isinstance(current, str) or not current:
        raise common.UserError("no batch to check: pass --current FILE or set monitor.current")
    batch = common.read_table(current)
    if many_release.wanted(args):  # many models: each on its own segment's rows
        result, inputs = many_release.run(args, batch, settings, params)
    else:
        with released.inputs(args) as (paths, inputs):  # a release's files: downloaded, checked
            ref = reference.read_profile(paths["profile"])
            model = predictions.load_model(paths["model"])
            has_metrics = ref["target"] in batch.columns and Path(paths["metrics"]).is_file()
            metrics = common.read_json(paths["metrics"]) if has_metrics else None
            result = check(batch, ref, model, settings, params, metrics)
        if metrics is None:
            inputs["metrics"] = None
    checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"current": current, "checked_at": checked_at, "inputs": inputs, **result}
    report.write(args.out, document, current)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--current", help="the batch, CSV or Parquet (default: monitor.current)")
    parser.add_argument("--out", default="reports/monitor")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--release", help="model@vX.Y.Z, models-release-<N> or latest (GitHub)")
    source.add_argument("--stage", help="the release promoted to this stage (production...)")
    parser.add_argument("--model", help="the model file (default: models/model.joblib)")
    parser.add_argument("--profile", help="its reference (default: reports/profile.json)")
    parser.add_argument("--metrics", help="its test metrics (default: reports/metrics.json)")
    parser.add_argument("--models", default=MODELS, help="many models: their list (models.json)")
    args = parser.parse_args(argv)
    try:
        report.clear(args.out)  # nothing of an earlier check stays, whatever happens next
        result = run(args)
    except common.UserError as exc:
        return common.fail(exc)
    except Exception as exc:  # a bug or an unforeseen failure: exit 2, never read as drift
        with contextlib.suppress(common.UserError):
            report.clear(args.out)
        said = " ".join(str(exc).split())[:200]
        return common.fail(f"monitor failed: {type(exc).__name__}: {said}")
    out, version = Path(args.out), result["inputs"].get("release")
    status = f"{result['status']} ({version})" if version else result["status"]
    print(f"monitor: {status}: {result['note']}; wrote {out}/monitor.json, monitor.md")
    return 1 if result["status"] == "unhealthy" else 0


if __name__ == "__main__":
    raise SystemExit(main())
