"""Plan stage (many models): write each training shard's settings to a file of its own, so
that changing one model's override in params.yaml reruns only the shard that trains it.

The settings are ``train:`` in params.yaml; ``train.overrides.<model>`` changes one model's.
"""

from mlops_kit.segments import plan


def main(argv: list[str] | None = None) -> int:
    return plan.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
