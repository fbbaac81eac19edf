"""Evaluate stage: score the model on the test split and write its metrics and plots, what
it relies on (explanations), its metrics by slice and the profile the monitor reads.

The settings are under ``evaluate:`` in params.yaml.
"""

from mlops_kit.pipeline import evaluate


def main(argv: list[str] | None = None) -> int:
    return evaluate.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
