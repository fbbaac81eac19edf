"""Prepare stage: refuse unvalidated data, then split it into train and test sets.

``prepare.test_size``, ``prepare.seed`` and ``prepare.stratify`` in params.yaml set the split.
{%- if cookiecutter.segment_by %}
Each model's segment (``train.segment_by``) is split on its own, and the files are stored by
training shard, so that each shard reads only its own rows.
{%- endif %}
"""

{% if cookiecutter.segment_by -%}
from mlops_kit.segments import split as prepare
{%- elif cookiecutter.compute == 'spark' -%}
from mlops_kit.spark import prepare
{%- else -%}
from mlops_kit.pipeline import prepare
{%- endif %}


def main(argv: list[str] | None = None) -> int:
    return prepare.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
