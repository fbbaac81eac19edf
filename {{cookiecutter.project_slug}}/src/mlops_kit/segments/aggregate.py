"""Evaluate stage of a many-models project: every model's metrics in one file, and theirs
all together.

    python -m <package>.evaluate --models reports/models.json --metrics reports/metrics.json \\
        --plots reports/plots --shards build/shards

Reads the shards' summaries ``build/shards/shard-<k>.json`` of ``train.shard_ids`` (copies of
their manifests, each naming its folder ``models/shard-<k>``; each model
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
import csv
import json
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.segments import names

KEPT = ("rows", "metrics", "intervals", "overrides", "fingerprint", "data", "md5")


def collect(summaries: list[str]) -> dict[str, Any]:
    """The content of models.json from the shards' summaries."""
    models, skipped, column = {}, {}, None
    for summary in summaries:
        if not Path(summary).is_file():
            raise common.UserError(f"{summary} not found; run `dvc repro` (the train stages)")
        found = common.read_json(summary)
        column = found["segment_by"]
        for name, entry in found["models"].items():
            models[name] = {
                "path": f"{found['folder']}/{entry['dir']}",
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


def write_plot_rows(models: dict[str, Any], path: Path) -> None:
    """One CSV row per model (its name, test rows and metrics), for `dvc plots`; the csv
    module, not pandas: the stage reruns after any model changes, so its start-up counts."""
    metrics = list(dict.fromkeys(m for entry in models.values() for m in entry["metrics"]))

    def cell(value) -> str:
        return "" if value is None else f"{value:.6g}" if isinstance(value, float) else value

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["model", "test_rows", *metrics])
        for name, entry in models.items():
            found = entry["metrics"]
            writer.writerow([name, entry["rows"]["test"], *(cell(found.get(m)) for m in metrics)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, help="models.json to write")
    parser.add_argument("--metrics", required=True, help="the aggregate metrics to write")
    parser.add_argument("--plots", required=True, help="folder for models.csv")
    parser.add_argument("--shards", required=True, help="the folder of the shards' summaries")
    args = parser.parse_args(argv)
    try:
        params = common.read_params()
        task = common.task_of(common.section_of(params, "ingest"))
        train = common.section_of(params, "train")
        shards = names.layout(train)["shards"]
        found = collect([f"{args.shards}/shard-{k}.json" for k in range(shards)])
        unknown = sorted(set(names.layout(train)["overrides"]) - set(found["models"]))
    except common.UserError as exc:
        return common.fail(exc)
    aggregate = weighted(found["models"])
    common.write_text(args.models, listing_text({"task": task, "aggregate": aggregate, **found}))
    common.write_json(args.metrics, aggregate)
    with common.replacing(args.plots) as temp:
        temp.mkdir()
        write_plot_rows(found["models"], temp / "models.csv")
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
