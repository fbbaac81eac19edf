"""The shard trainer of the many-models prototype: the command of its DVC stages.

    python trainer.py train --shard K --data DATA.parquet --out models/shard-K
                            [--overrides build/overrides/shard-K.json]
    python trainer.py split --out build/overrides

``bench/many_models_dvc.py`` copies this file into a throwaway DVC project as ``trainer.py``,
next to the template's ``features.py``. It reads ``train:`` from params.yaml.

``train`` takes the segments whose stable hash modulo ``train.shards`` is ``--shard``, and
for each computes a fingerprint: the hash of its rows (order-independent), its effective
params (``train:`` without ``shards``, ``shard_ids`` and ``overrides``, merged with
``train.overrides.<segment>``) and the code (this file, features.py, the scikit-learn
version). A segment whose fingerprint is the one in ``OUT/manifest.json`` and whose model
file exists is kept; the others are fitted and written to ``OUT/<segment>/model.joblib``;
folders of segments no longer in the data are removed. Segments below ``train.min_rows``
get no model. The overrides come from params.yaml, or from ``--overrides`` (the shard's part
written by ``split``), which lets DVC rerun only the shard whose part changed. Prints one
JSON line (``shard-summary``) with the counts and where the time went.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED_EXCLUDED = ("shards", "shard_ids", "overrides")


def shard_of(segment: str, shards: int) -> int:
    """The shard of a segment: stable across runs, machines and Python versions."""
    return int.from_bytes(hashlib.sha256(segment.encode()).digest()[:8], "big") % shards


def read_train_params() -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open("params.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)["train"]


def merge(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` laid over it, nested mappings merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def code_hash() -> str:
    import sklearn

    digest = hashlib.sha256(sklearn.__version__.encode())
    for name in ("trainer.py", "features.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def rows_hashes(frame) -> dict[str, str]:
    """Hash of each segment's rows, whatever their order and index: its sorted row hashes,
    with the column names and types. One vectorised pass over the whole frame (hashing each
    group on its own costs about 3 ms a segment)."""
    import numpy as np
    import pandas as pd

    header = json.dumps([[c, str(t)] for c, t in frame.dtypes.items()]).encode()
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    codes, names = pd.factorize(frame["segment"], sort=True)
    order = np.lexsort((hashes, codes))
    hashes, codes = hashes[order], codes[order]
    starts = np.flatnonzero(np.diff(codes)) + 1
    return {
        names[group[0]]: hashlib.sha256(header + part.tobytes()).hexdigest()
        for part, group in zip(np.split(hashes, starts), np.split(codes, starts), strict=True)
    }


def write_json(path: Path, value) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)


def split(out: Path) -> int:
    """Write each shard's part of train.overrides to OUT/shard-<k>.json (all K files)."""
    params = read_train_params()
    shards = params["shards"]
    parts = {k: {} for k in range(shards)}
    for segment, override in (params.get("overrides") or {}).items():
        parts[shard_of(segment, shards)][segment] = override
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("shard-*.json"):
        if int(old.stem.split("-")[1]) >= shards:
            old.unlink()
    for k, part in parts.items():
        write_json(out / f"shard-{k}.json", part)
    print(f"split: {len(params.get('overrides') or {})} overrides into {shards} shards")
    return 0


def train(shard: int, data: Path, out: Path, overrides_file: Path | None) -> int:
    params = read_train_params()
    shards = params["shards"]
    if list(params.get("shard_ids", [])) != list(range(shards)):
        raise SystemExit(f"params.yaml: train.shard_ids must be 0..{shards - 1}")
    if overrides_file is None:
        overrides = params.get("overrides") or {}
    else:
        overrides = json.loads(overrides_file.read_text(encoding="utf-8"))
    shared = {k: v for k, v in params.items() if k not in SHARED_EXCLUDED}

    import joblib
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    sys.path.insert(0, str(HERE))
    import features

    times = {"imports": time.perf_counter() - STARTED}
    began = time.perf_counter()
    # The whole table, then the shard's rows: a read filtered on 1,000 names ("in") is
    # about 3x slower than reading everything.
    table = pq.read_table(data)
    column = table.column("segment")
    mine = sorted(name for name in column.unique().to_pylist() if shard_of(name, shards) == shard)
    chosen = pc.is_in(column, value_set=pa.array(mine, type=column.type))
    frame = table.filter(chosen).to_pandas()
    times["read"] = time.perf_counter() - began

    began = time.perf_counter()
    code = code_hash()
    wanted = {}
    hashes = rows_hashes(frame) if mine else {}
    groups = dict(tuple(frame.groupby("segment", sort=True))) if mine else {}
    for name, rows in groups.items():
        effective = merge(shared, overrides.get(name, {}))
        fingerprint = hashlib.sha256(
            json.dumps(
                {"rows": hashes[name], "params": effective, "code": code}, sort_keys=True
            ).encode()
        ).hexdigest()
        wanted[name] = (fingerprint, effective, rows)
    times["hash"] = time.perf_counter() - began

    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    old = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    manifest, counts = {}, {"trained": 0, "kept": 0, "too_few_rows": 0, "removed": 0}
    fitting = writing = 0.0
    for name, (fingerprint, effective, rows) in wanted.items():
        model_file = out / name / "model.joblib"
        entry = {"fingerprint": fingerprint, "rows": len(rows)}
        if len(rows) < effective["min_rows"]:
            entry["model"] = None
            counts["too_few_rows"] += 1
            shutil.rmtree(out / name, ignore_errors=True)
        elif old.get(name, {}).get("fingerprint") == fingerprint and model_file.exists():
            entry["model"] = old[name]["model"]
            counts["kept"] += 1
        else:
            began = time.perf_counter()
            x = rows.drop(columns=["segment", "target"])
            model = RandomForestClassifier(
                **effective[effective["model"]], random_state=effective["seed"], n_jobs=1
            )
            pipeline = Pipeline([("features", features.build(x, effective)), ("model", model)])
            pipeline.fit(x, rows["target"])
            fitting += time.perf_counter() - began
            began = time.perf_counter()
            model_file.parent.mkdir(exist_ok=True)
            temp = model_file.with_name("model.joblib.tmp")
            joblib.dump(pipeline, temp)
            os.replace(temp, model_file)
            writing += time.perf_counter() - began
            entry["model"] = f"{name}/model.joblib"
            counts["trained"] += 1
        manifest[name] = entry
    for child in out.iterdir():
        if child.is_dir() and child.name not in wanted:
            shutil.rmtree(child)
            counts["removed"] += 1
    write_json(manifest_path, manifest)
    times.update(fit=fitting, write=writing, total=time.perf_counter() - STARTED)
    summary = {"shard": shard, "segments": len(wanted), **counts}
    summary["seconds"] = {k: round(v, 3) for k, v in times.items()}
    print("shard-summary " + json.dumps(summary), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("train", help="train one shard's changed segments")
    run.add_argument("--shard", type=int, required=True)
    run.add_argument("--data", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--overrides", type=Path, help="the shard's part of train.overrides")
    parts = commands.add_parser("split", help="write each shard's part of train.overrides")
    parts.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "split":
        return split(args.out)
    return train(args.shard, args.data, args.out, args.overrides)


if __name__ == "__main__":
    sys.exit(main())
