{%- if cookiecutter.segment_by -%}
"""Evaluate stage (many models): gather every model's metrics, scored by its training shard,
into reports/models.json, and their average weighted by test rows into reports/metrics.json.
"""

from mlops_kit.segments import aggregate


def main(argv: list[str] | None = None) -> int:
    return aggregate.main(argv)
{%- else -%}
"""Evaluate stage: score the model on the test split and write its metrics and plots, what
it relies on (explanations), its metrics by slice and the profile the monitor reads.

The settings are under ``evaluate:`` in params.yaml.
"""

from mlops_kit.pipeline import evaluate


def main(argv: list[str] | None = None) -> int:
    return evaluate.main(argv)

{%- endif %}


if __name__ == "__main__":
    raise SystemExit(main())
