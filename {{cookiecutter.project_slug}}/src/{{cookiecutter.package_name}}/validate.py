"""Validate stage: check the raw data against the Great Expectations suite.

The rules are in ``expectations/suite.json``; a failed one stops ``dvc repro`` here.
"""

{% if cookiecutter.compute == 'spark' -%}
from mlops_kit.spark import validate
{%- else -%}
from mlops_kit.pipeline import validate
{%- endif %}


def main(argv: list[str] | None = None) -> int:
    return validate.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
