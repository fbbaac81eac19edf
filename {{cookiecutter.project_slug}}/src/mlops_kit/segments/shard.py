"""One training shard of a many-models project: train and score the models that changed.

    python -m <package>.train --shard K --plan build/plan/shard-K.json \\
        --train data/prepared/train.parquet --test data/prepared/test.parquet \\
        --out models/shard-K --summary build/shards/shard-K.json

survey.py says which models to fit, to score again or to keep; this runs that, removes the
folders of models that are gone, and writes ``OUT/manifest.json`` last, and a copy of it
naming OUT to ``--summary`` (what the evaluate stage reads: DVC hashes one file a shard for
it, not every model's files). ``train.n_jobs``
other than 1 fits that many models at once, each with one core. The last line names the
models it trained (all of them when few), so a log shows what a change retrained.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import predictions
from mlops_kit.segments import one_model, survey

NAMED = 20  # models named in the summary line at most


def work(folder, train_rows, test_rows, fit: bool, settings, context, explained=False):
    """Fit (when ``fit``), score and write one model; return its md5 (None when kept),
    metrics, intervals and the seconds its fit and its scoring took."""
    target, task, build, evaluate = context
    began = time.perf_counter()
    if fit:
        model = one_model.fit(train_rows, target, task, settings, build)
        md5 = one_model.write_model(folder, model)
    else:
        model, md5 = predictions.load_model(folder / one_model.MODEL), None
    fitted = time.perf_counter() - began
    metrics, ranges, reference, extra = one_model.assess(
        model, train_rows, test_rows, target, task, evaluate, explained
    )
    one_model.write_scores(folder, metrics, reference, extra)
    scored = time.perf_counter() - began - fitted
    return {"md5": md5, "metrics": metrics, "intervals": ranges, "fit_s": fitted, "score_s": scored}


def execute(plan: dict[str, Any], run=None, summary=None) -> tuple[list[str], float, float]:
    """Run the plan's jobs (with ``run``, e.g. on Spark, when given) and write the manifest;
    return the names fitted and the seconds of fitting and of scoring."""
    context, threads, jobs = plan["context"], plan["threads"], plan["jobs"]
    parallel = threads != 1 and len(jobs) > 1  # then one core a model
    calls = [
        (folder, train_rows, test_rows, fit, {**settings, "n_jobs": 1 if parallel else threads})
        + (context, explained)
        for _, folder, train_rows, test_rows, fit, settings, explained in jobs
    ]
    if run is not None:
        results = run(calls, work)
    elif parallel:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=threads)(delayed(work)(*call) for call in calls)
    else:
        results = [work(*call) for call in calls]
    models, fitted, seconds = plan["models"], [], 0.0
    scoring = sum(result["score_s"] for result in results)
    for (name, folder, _, _, fit, _, _), result in zip(jobs, results, strict=True):
        entry = models[name]
        if fit:
            stat = (folder / one_model.MODEL).stat()
            entry.update(md5=result["md5"], size=stat.st_size, mtime_ns=stat.st_mtime_ns)
            fitted.append(name)
            seconds += result["fit_s"]
        entry.update(metrics=result["metrics"], intervals=result["intervals"])
    out = plan["out"]
    out.mkdir(parents=True, exist_ok=True)
    wanted = {entry["dir"] for entry in models.values()}
    for child in out.iterdir():
        if child.is_dir() and child.name not in wanted:
            shutil.rmtree(child)
    manifest = {**plan["meta"], "models": models, "skipped": plan["skipped"]}
    common.write_json(plan["manifest"], manifest)
    if summary:
        common.write_json(summary, {**manifest, "folder": Path(out).as_posix()})
    return fitted, seconds, scoring


def main(argv: list[str] | None = None, build=None, run=None) -> int:
    """The stage's command line: ``build`` makes a model's pipeline (the owners'); ``run``
    fits the jobs elsewhere (spark/segments.py's ``fit_many``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shard", type=int, required=True, help="this shard's id")
    parser.add_argument("--plan", required=True, help="the shard's plan (the plan stage's)")
    parser.add_argument("--train", required=True, help="training Parquet file")
    parser.add_argument("--test", required=True, help="test Parquet file")
    parser.add_argument("--out", required=True, help="the shard's folder of models")
    parser.add_argument("--summary", help="a copy of its manifest, for the evaluate stage")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        plan = survey.survey(args, build)
        fitted, seconds, scoring = execute(plan, run, args.summary)
    except common.UserError as exc:
        return common.fail(exc)
    kept = len(plan["models"]) - len(fitted)
    named = ", ".join(n if n.isprintable() else repr(n) for n in fitted[:NAMED]) + (
        f" and {len(fitted) - NAMED} more" if len(fitted) > NAMED else ""
    )
    print(
        f"train shard {args.shard}: {len(plan['models'])} models, {len(fitted)} trained "
        f"({seconds:.1f} s of fitting, {scoring:.1f} s of scoring), {kept} kept, "
        f"{len(plan['skipped'])} segments without a model; "
        f"{time.perf_counter() - began:.1f} s -> {args.out}"
        + (f"; trained: {named}" if fitted else "")
    )
    common.before_exit(argv)
    return 0
