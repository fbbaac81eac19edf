"""Plan stage of a many-models project: each training shard's settings, in a file of its own.

    python -m mlops_kit.segments.plan --out build/plan

Writes ``shard-<k>.json`` for each shard: the settings every model shares (``train:`` but
its layout keys), ``train.min_rows``, and the overrides of the models of that shard only.
Each ``train`` shard of dvc.yaml depends on its own file, not on ``train:`` in params.yaml:
changing one model's override reruns the one shard that trains it, and a shared setting all
of them. Files of shards that no longer exist are removed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlops_kit import common
from mlops_kit.segments import names


def plans(train: dict) -> dict[int, dict]:
    """Each shard's plan, from ``train:`` of params.yaml."""
    if names.segment_by(train) is None:
        raise common.UserError(
            "params.yaml: train.segment_by is empty, so there is one model and nothing to "
            "plan; this stage belongs to projects with many models"
        )
    layout = names.layout(train)
    shards = layout["shards"]
    parts: dict[int, dict] = {k: {} for k in range(shards)}
    for name, override in layout["overrides"].items():
        parts[names.shard_of(name, shards)][name] = override
    common_part = {
        "segment_by": train["segment_by"],
        "shards": shards,
        "min_rows": layout["min_rows"],
        "shared": names.shared(train),
    }
    return {k: {**common_part, "shard": k, "overrides": part} for k, part in parts.items()}


def write(out: str | Path, train: dict) -> int:
    """Write every shard's plan into ``out`` (only the files whose content changed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f"shard-{k}.json": plan for k, plan in plans(train).items()}
    for old in out.glob("shard-*.json"):
        if old.name not in wanted:
            old.unlink()
    for name, plan in wanted.items():
        path = out / name
        if not path.is_file() or common.read_json(path) != plan:
            common.write_json(path, plan)
    return len(wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the shards' plans")
    args = parser.parse_args(argv)
    try:
        train = common.load_params("train")
        count = write(args.out, train)
        overrides = len(names.layout(train)["overrides"])
    except common.UserError as exc:
        return common.fail(exc)
    print(f"plan: {count} shards, {overrides} models with overrides -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
