"""Synthetic data with one segment per model, and the simplest one-process loop training them.

    python bench/many_models.py data OUT.parquet [--segments 1000] [--seed 2024]
    python bench/many_models.py baseline DATA.parquet [--out DIR] [--n-estimators 20] \
        [--segment NAME]

Runs with the template's .venv (pandas, numpy, pyarrow, scikit-learn, joblib).

``data`` writes a classification table with a ``segment`` column (``store-0001``...): segment
sizes log-normal around 1,000 rows, bounded to 200..5,000, and 2% of the segments below
``MIN_ROWS`` (10..49 rows), ten numeric features ``x00``..``x09``, two categorical ones
(``channel``, ``tier``) and a binary ``target`` whose weights on the features are drawn per
segment, so one model per segment is what fits it. Segments are drawn one at a time from
their own seed and written in batches: the same seed gives the same file, and the memory
held is one batch.

``baseline`` is what the many-models pipeline is measured against: one process that reads the
table, loops over the segments with at least ``MIN_ROWS`` rows, fits the generated projects'
pipeline on each (the template's ``features.build``, then a RandomForestClassifier with
``--n-estimators`` trees, ``random_state`` 42, one core) and saves it with joblib to
``DIR/<segment>/model.joblib``. It prints the total time and the time per fit. With
``--segment``, it trains that one segment's model alone (the same process, imports and read).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "{{cookiecutter.project_slug}}" / "src" / "{{cookiecutter.package_name}}"
FEATURES = FEATURES / "features.py"
MIN_ROWS = 50
NUMERIC = [f"x{i:02d}" for i in range(10)]
CHANNELS = np.array(["web", "store", "phone"])
TIERS = np.array(["a", "b", "c", "d"])
BATCH_ROWS = 250_000


def segment_name(index: int) -> str:
    return f"store-{index:04d}"


def segment_rows(rng: np.random.Generator, small: bool) -> int:
    """Rows of one segment: log-normal around 1,000 (a long right tail) cut to 200..5,000;
    a small one has 10..49."""
    if small:
        return int(rng.integers(10, MIN_ROWS))
    return int(np.clip(rng.lognormal(np.log(1000), 0.6), 200, 5000))


def segment_frame(seed: int, index: int, small: bool):
    """The rows of segment ``index``, drawn from its own seed (independent of the others)."""
    import pandas as pd

    rng = np.random.default_rng([seed, index])
    rows = segment_rows(rng, small)
    # Per segment: feature means and scales, the target's weights, its categorical effects
    means = rng.normal(0, 1, len(NUMERIC))
    scales = rng.uniform(0.5, 2.0, len(NUMERIC))
    weights = rng.normal(0, 1, len(NUMERIC)) * (rng.random(len(NUMERIC)) < 0.5)
    channel_effect = rng.normal(0, 1, len(CHANNELS))
    tier_effect = rng.normal(0, 0.5, len(TIERS))
    x = rng.normal(means, scales, (rows, len(NUMERIC)))
    channel = rng.integers(0, len(CHANNELS), rows)
    tier = rng.integers(0, len(TIERS), rows)
    logit = ((x - means) / scales) @ weights + channel_effect[channel] + tier_effect[tier]
    logit += 0.5 * np.sin(x[:, 0]) * x[:, 1]  # something a tree sees and a line does not
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype("int64")
    frame = pd.DataFrame(np.round(x, 4), columns=NUMERIC)
    frame.insert(0, "segment", segment_name(index))
    frame["channel"] = CHANNELS[channel]
    frame["tier"] = TIERS[tier]
    frame["target"] = target
    return frame


def write_data(out: Path, segments: int, seed: int) -> dict:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    small = set(rng.choice(segments, size=max(1, round(segments * 0.02)), replace=False).tolist())
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    batch, held, rows = [], 0, 0
    try:
        for index in range(1, segments + 1):
            frame = segment_frame(seed, index, index - 1 in small)
            batch.append(frame)
            held += len(frame)
            if held >= BATCH_ROWS or index == segments:
                table = pa.Table.from_pandas(
                    pd.concat(batch, ignore_index=True), preserve_index=False
                )
                if writer is None:
                    writer = pq.ParquetWriter(out, table.schema)
                writer.write_table(table)
                rows += held
                batch, held = [], 0
    finally:
        if writer is not None:
            writer.close()
    return {"rows": rows, "segments": segments, "small": len(small), "bytes": out.stat().st_size}


def load_features():
    """The template's features module (plain Python: no template markup in it)."""
    spec = importlib.util.spec_from_file_location("template_features", FEATURES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_pipeline(features, frame, n_estimators: int, seed: int = 42):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    model = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)
    return Pipeline([("features", features.build(frame, {})), ("model", model)])


def baseline(data: Path, out: Path, n_estimators: int, only: str | None = None) -> dict:
    start = time.perf_counter()
    import joblib
    import pandas as pd

    features = load_features()
    imported = time.perf_counter()
    frame = pd.read_parquet(data)
    read = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    fits, skipped, fitting = 0, 0, 0.0
    if only is not None:  # one model alone: the same process, read and fit, for one segment
        frame = frame[frame["segment"] == only]
    for name, rows in frame.groupby("segment", sort=True):
        if len(rows) < MIN_ROWS:
            skipped += 1
            continue
        x = rows.drop(columns=["segment", "target"])
        began = time.perf_counter()
        pipeline = make_pipeline(features, x, n_estimators).fit(x, rows["target"])
        fitting += time.perf_counter() - began
        folder = out / name
        folder.mkdir(parents=True)
        joblib.dump(pipeline, folder / "model.joblib")
        fits += 1
    end = time.perf_counter()
    return {
        "fits": fits,
        "skipped": skipped,
        "n_estimators": n_estimators,
        "total_s": round(end - start, 3),
        "imports_s": round(imported - start, 3),
        "read_s": round(read - imported, 3),
        "fit_s": round(fitting, 3),
        "per_fit_ms": round(1000 * (end - read) / max(fits, 1), 2),
        "fit_only_per_fit_ms": round(1000 * fitting / max(fits, 1), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="write the synthetic table")
    data.add_argument("out", type=Path)
    data.add_argument("--segments", type=int, default=1000)
    data.add_argument("--seed", type=int, default=2024)
    loop = commands.add_parser("baseline", help="train every segment in one process")
    loop.add_argument("data", type=Path)
    loop.add_argument("--out", type=Path, default=Path("build/many-models-baseline"))
    loop.add_argument("--n-estimators", type=int, default=20)
    loop.add_argument("--segment", help="train this segment's model alone")
    args = parser.parse_args(argv)
    if args.command == "data":
        result = write_data(args.out, args.segments, args.seed)
    else:
        result = baseline(args.data, args.out, args.n_estimators, args.segment)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
