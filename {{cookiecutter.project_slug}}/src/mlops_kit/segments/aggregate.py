"""Evaluate stage of a many-models project: every model's metrics in one file, and theirs
all together.

    python -m <package>.evaluate --models reports/models.json --metrics reports/metrics.json \\
        --plots reports/plots --shards models

Reads the manifests of the shards ``models/shard-<k>`` of ``train.shard_ids`` (each model
was scored by its shard) and writes:
- ``reports/models.json``: each model's folder, rows, metrics, intervals, overrides,
  fingerprint, ``data`` (the SHA-256 of its training rows, in any order: rows.py) and md5,
  and the segments that got no model, with why;
- ``reports/metrics.json``: each metric averaged over the models, weighted by their test
  rows (a model whose metric is undefined counts for none of it), so that CI compares and
  gates it as one model's;
- ``reports/plots/models.csv``: one row per model, for `dvc plots`.
Overrides naming no model of the data are reported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.segments import names

KEPT = ("rows", "metrics", "intervals", "overrides", "fingerprint", "data", "md5")


def collect(shards: list[str]) -> dict[str, Any]:
    """The content of models.json from the shards' folders."""
    models, skipped, column = {}, {}, None
    for folder in shards:
        manifest = Path(folder) / "manifest.json"
        if not manifest.is_file():
            raise common.UserError(f"{manifest} not found; run `dvc repro` (the train stages)")
        found = common.read_json(manifest)
        column = found["segment_by"]
        for name, entry in found["models"].items():
            models[name] = {
                "path": f"{Path(folder).as_posix()}/{entry['dir']}",
                "shard": found["shard"],
                **{key: entry.get(key) for key in KEPT},
            }
        skipped.update(found["skipped"])
    if not models:
        raise common.UserError(
            "no segment trained a model (see `skipped` in the shards' manifests): lower "
            "train.min_rows or check train.segment_by"
        )
    return {"segment_by": column, "models": dict(sorted(models.items())), "skipped": skipped}


def weighted(models: dict[str, Any]) -> dict[str, Any]:
    """Each metric averaged over the models, weighted by their test rows."""
    totals: dict[str, list[float]] = {}
    for entry in models.values():
        weight = entry["rows"]["test"]
        for metric, value in entry["metrics"].items():
            total = totals.setdefault(metric, [0.0, 0.0])
            if value is not None:
                total[0] += weight * value
                total[1] += weight
    return {m: common.sig(t / w) if w else None for m, (t, w) in sorted(totals.items())}


def listing_text(listing: dict[str, Any]) -> str:
    """models.json as JSON with one line per model: a change to one model is one line of
    its git diff, and thousands of models stay a file that loads fast."""

    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    lines = []
    for key in sorted(listing):
        value = listing[key]
        if key in ("models", "skipped") and value:
            rows = [f"    {dump(name)}: {dump(entry)}" for name, entry in value.items()]
            lines.append(f'  "{key}": ' + "{\n" + ",\n".join(rows) + "\n  }")
        else:
            lines.append(f"  {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def plot_rows(models: dict[str, Any]):
    import pandas as pd

    return pd.DataFrame(
        [
            {"model": name, "test_rows": entry["rows"]["test"], **entry["metrics"]}
            for name, entry in models.items()
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, help="models.json to write")
    parser.add_argument("--metrics", required=True, help="the aggregate metrics to write")
    parser.add_argument("--plots", required=True, help="folder for models.csv")
    parser.add_argument("--shards", required=True, help="the folder of the shards' folders")
    args = parser.parse_args(argv)
    try:
        params = common.read_params()
        task = common.task_of(common.section_of(params, "ingest"))
        train = common.section_of(params, "train")
        shards = names.layout(train)["shards"]
        found = collect([f"{args.shards}/shard-{k}" for k in range(shards)])
        unknown = sorted(set(names.layout(train)["overrides"]) - set(found["models"]))
    except common.UserError as exc:
        return common.fail(exc)
    aggregate = weighted(found["models"])
    common.write_text(args.models, listing_text({"task": task, "aggregate": aggregate, **found}))
    common.write_json(args.metrics, aggregate)
    with common.replacing(args.plots) as temp:
        temp.mkdir()
        plot_rows(found["models"]).to_csv(temp / "models.csv", index=False, float_format="%.6g")
    shown = ", ".join(f"{k}={v}" for k, v in aggregate.items())
    print(
        f"evaluate: {len(found['models'])} models, {len(found['skipped'])} segments without "
        f"a model; weighted by test rows: {shown}"
    )
    if unknown:
        print(
            f"note: train.overrides names {len(unknown)} models the data has not: "
            + ", ".join(repr(n) for n in unknown[:10])
        )
    common.before_exit(argv)
    return 0
