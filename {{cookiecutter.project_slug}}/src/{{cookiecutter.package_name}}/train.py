{%- if cookiecutter.segment_by -%}
"""Train stage, one shard of the models: for each segment of the shard whose rows, settings
or code changed, fit the features (features.py), then the model (model.py), on its training
rows, save them as one scikit-learn Pipeline (models/shard-<k>/<model>/model.joblib) and
score it on its test rows.
"""
{%- else -%}
"""Train stage: fit the features (features.py), then the model (model.py), on the training
split, and save them as one scikit-learn Pipeline: models/model.joblib.
"""
{%- endif %}

from __future__ import annotations

from typing import Any

{% if cookiecutter.compute == 'spark' and cookiecutter.segment_by -%}
from mlops_kit.pipeline import train
from mlops_kit.segments import shard
from mlops_kit.spark import segments as on_spark
{%- elif cookiecutter.compute == 'spark' -%}
from mlops_kit.pipeline import train
from mlops_kit.spark import train as on_spark
{%- elif cookiecutter.segment_by -%}
from mlops_kit.pipeline import train
from mlops_kit.segments import shard
{%- else -%}
from mlops_kit.pipeline import train
{%- endif %}

from . import features, model


def build_pipeline(frame, task: str, params: dict[str, Any]):
    """Return the unfitted Pipeline for ``frame``'s feature columns: features, then model."""
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [("features", features.build(frame, params)), ("model", model.build(task, params))]
    )


def fit(frame, target: str, task: str, params: dict[str, Any]):
    """Fit and return the pipeline on ``frame`` (its features plus the ``target`` column)."""
    return train.fit(frame, target, task, params, build_pipeline)


def main(argv: list[str] | None = None) -> int:
{%- if cookiecutter.compute == 'spark' and cookiecutter.segment_by %}
    return shard.main(argv, build=build_pipeline, run=on_spark.fit_many)
{%- elif cookiecutter.compute == 'spark' %}
    return train.main(argv, build=build_pipeline, run=on_spark.fit)
{%- elif cookiecutter.segment_by %}
    return shard.main(argv, build=build_pipeline)
{%- else %}
    return train.main(argv, build=build_pipeline)
{%- endif %}


if __name__ == "__main__":
    raise SystemExit(main())
