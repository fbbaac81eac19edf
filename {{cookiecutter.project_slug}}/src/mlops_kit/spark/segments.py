"""Many models on Spark: a shard's models that need fitting are fitted and scored on the
executors, one group per model (``groupBy(...).applyInPandas``), and come back to the driver
as their joblib bytes, metrics, intervals and profile; the driver writes each model's folder
as the local shard does (segments/one_model.py), so the files are the same kind, and a model
is the one a local fit gives. Models that are only scored again stay on the driver.

The rows of the models to fit are sent from the driver, which read them (the shard's part of
the split must fit in its memory); the executors run this project's packages, as for the
one-model train stage (PYSPARK_PYTHON).
"""

from __future__ import annotations

import io
import json
import time
import warnings

from mlops_kit import common
from mlops_kit.segments import one_model
from mlops_kit.spark import session

KEY, TEST = "__mlops_model", "__mlops_test"  # columns added for the cluster, then dropped
SCHEMA = "model long, joblib binary, scores string"


def fit_many(calls: list[tuple], work) -> list[dict]:
    """Each of the shard's ``calls`` (segments/shard.py): fitted on the cluster when it asks
    for a fit, else scored here by ``work``; the results in the same order."""
    results: list = [None] * len(calls)
    todo = [i for i, call in enumerate(calls) if call[3]]
    for i, call in enumerate(calls):
        if not call[3]:
            results[i] = work(*call)
    if todo:
        for i, result in zip(todo, on_cluster([calls[i] for i in todo]), strict=True):
            results[i] = result
    return results


def on_cluster(calls: list[tuple]) -> list[dict]:
    import pandas as pd

    target, task, build, evaluate = calls[0][5]
    settings = {key: call[4] for key, call in enumerate(calls)}
    parts = []
    explained = {key: call[6] for key, call in enumerate(calls)}
    for key, (_, train_rows, test_rows, *_) in enumerate(calls):
        parts.append(train_rows.assign(**{KEY: key, TEST: False}))
        parts.append(test_rows.assign(**{KEY: key, TEST: True}))
    rows = pd.concat(parts, ignore_index=True)

    def fit_group(group):
        import joblib

        key = int(group[KEY].iloc[0])
        train = group[~group[TEST]].drop(columns=[KEY, TEST]).reset_index(drop=True)
        test = group[group[TEST]].drop(columns=[KEY, TEST]).reset_index(drop=True)
        began = time.perf_counter()
        model = one_model.fit(train, target, task, settings[key], build)
        seconds = time.perf_counter() - began
        metrics, ranges, reference, extra = one_model.assess(
            model, train, test, target, task, evaluate, explained[key]
        )
        scored = time.perf_counter() - began - seconds
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        scores = {"metrics": metrics, "intervals": ranges, "profile": reference, "extra": extra}
        scores.update(fit_s=seconds, score_s=scored)
        return pd.DataFrame(
            {"model": [key], "joblib": [buffer.getvalue()], "scores": [json.dumps(scores)]}
        )

    with session.session("train"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        try:
            frame = spark.createDataFrame(rows)
            done = frame.groupBy(KEY).applyInPandas(fit_group, schema=SCHEMA)
            found = session.to_pandas(done)
        except common.UserError:
            raise
        except Exception as exc:  # a task failed on the cluster: its message says why
            raise common.UserError(
                f"fitting the models on the cluster failed ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:300]}); the executors must run this project's "
                "packages (PYSPARK_PYTHON)"
            ) from exc
    results = []
    by_key = {int(row.model): row for row in found.itertuples()}
    for key, (folder, *_rest) in enumerate(calls):
        scores = json.loads(by_key[key].scores)
        md5 = one_model.write_model(folder, data=bytes(by_key[key].joblib))
        one_model.write_scores(folder, scores["metrics"], scores["profile"], scores["extra"])
        results.append(
            {"md5": md5, **{k: scores[k] for k in ("metrics", "intervals", "fit_s", "score_s")}}
        )
    return results
