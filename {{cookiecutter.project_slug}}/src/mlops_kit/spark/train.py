"""Train stage on Spark: the same scikit-learn Pipeline, its forest's trees fitted on the cluster.

A random forest's trees are independent: joblib's Spark backend (joblibspark) sends each
batch of them to an executor and brings the fitted trees back, so ``models/model.joblib`` is
the same kind of Pipeline the local engine writes, and evaluate, predict and serve read it as
they are. The training frame is read on the driver (it must fit in its memory), and so is
the Pipeline's preprocessing; gradient boosting and the linear models fit there too, since
they do not split their work into joblib tasks.
"""

from __future__ import annotations

import warnings
from typing import Any

from mlops_kit import common
from mlops_kit.pipeline import train as local
from mlops_kit.spark import session

# train.model whose estimator hands its work to joblib, and so to the cluster.
SPREAD = "random_forest"


def fit(frame, target: str, task: str, params: dict[str, Any], build):
    """train.fit(), with a random forest's trees fitted on the cluster.

    Fitting runs as many trees at once as the cluster has task slots (``n_jobs: -1``) when
    ``train.n_jobs`` is 1; the saved model keeps the n_jobs of params.yaml, so it predicts as
    a locally trained one would."""
    if params.get("model") != SPREAD:
        return local.fit(frame, target, task, params, build)
    jobs = local.n_jobs(params)
    spread = {**params, "n_jobs": -1 if jobs == 1 else jobs}
    from joblib import parallel_backend
    from joblibspark import register_spark

    with session.session("train"), warnings.catch_warnings():
        # joblibspark's notes on local mode and on job tags change nothing in the result
        warnings.simplefilter("ignore", UserWarning)
        register_spark()
        with parallel_backend("spark", n_jobs=spread["n_jobs"]):
            try:
                pipeline = local.fit(frame, target, task, spread, build)
            except common.UserError:
                raise
            except Exception as exc:  # a task failed on the cluster: joblib hides why
                raise common.UserError(
                    f"fitting the forest on the cluster failed ({type(exc).__name__}: "
                    f"{' '.join(str(exc).split())[:300]}); the executors must run this "
                    "project's packages (PYSPARK_PYTHON), and a Spark Connect server needs a "
                    "standalone, YARN or Kubernetes master, not local (its log says which)"
                ) from exc
    pipeline.named_steps["model"].set_params(n_jobs=jobs)
    return pipeline
