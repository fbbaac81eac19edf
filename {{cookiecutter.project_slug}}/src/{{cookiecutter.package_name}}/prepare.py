"""Prepare stage: refuse unvalidated data, then split it into train and test sets.

``prepare.test_size``, ``prepare.seed`` and ``prepare.stratify`` in params.yaml set the split.
"""

{% if cookiecutter.compute == 'spark' -%}
from mlops_kit.spark import prepare
{%- else -%}
from mlops_kit.pipeline import prepare
{%- endif %}


def main(argv: list[str] | None = None) -> int:
    return prepare.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
