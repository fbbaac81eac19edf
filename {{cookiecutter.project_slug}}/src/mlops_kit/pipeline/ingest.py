"""Ingest stage: load the raw data set named by ``ingest.source`` and write it as Parquet."""

from __future__ import annotations

import argparse
import csv
import importlib.util
from pathlib import Path

from mlops_kit import common

BUNDLED = ("breast_cancer", "wine", "diabetes")
# Rows per Parquet row group: what a reader holds at once when it goes through the file in
# batches (validate.chunk_rows), and the unit pyarrow compresses and skips by.
ROW_GROUP_ROWS = 100_000
ALLOWED = ", ".join(f"'sklearn:{name}'" for name in BUNDLED) + " or a path to a .csv/.parquet file"

# Feature names of the bundled CSV files, as scikit-learn's loaders name the columns.
_CANCER = [
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
]
BUNDLED_CSV = {
    "breast_cancer": (
        "breast_cancer.csv",
        [f"mean {n}" for n in _CANCER]
        + [f"{n} error" for n in _CANCER]
        + [f"worst {n}" for n in _CANCER],
    ),
    "wine": (
        "wine_data.csv",
        [
            "alcohol",
            "malic_acid",
            "ash",
            "alcalinity_of_ash",
            "magnesium",
            "total_phenols",
            "flavanoids",
            "nonflavanoid_phenols",
            "proanthocyanins",
            "color_intensity",
            "hue",
            "od280/od315_of_diluted_wines",
            "proline",
        ],
    ),
}


def _read_bundled_csv(file_name: str, features: list[str]):
    """Read one of scikit-learn's bundled CSV files as its loader does, without importing
    scikit-learn (a few seconds per run): the file is package data, found by location.

    The first line holds the row count, the feature count and the class names; each row
    holds the features and an integer class. Same parsing, same frame as the loader's."""
    import numpy as np
    import pandas as pd

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise common.UserError("scikit-learn is not installed; run `python3 tasks.py setup`")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / file_name
    with path.open("r", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows, columns = int(header[0]), int(header[1])
        if columns != len(features):
            raise common.UserError(f"{path}: {columns} features, expected {len(features)}")
        data = np.empty((rows, columns))
        target = np.empty((rows,), dtype=int)
        for i, row in enumerate(reader):
            data[i] = np.asarray(row[:-1], dtype=np.float64)
            target[i] = np.asarray(row[-1], dtype=int)
    frame = pd.DataFrame(data, columns=features, copy=False)
    return pd.concat([frame, pd.DataFrame(target, columns=["target"])], axis=1)


def load_bundled(name: str, target: str):
    """Return a data set bundled with scikit-learn, its label column named ``target``."""
    if name not in BUNDLED:
        raise common.UserError(f"ingest.source: unknown data set 'sklearn:{name}'; use {ALLOWED}")
    if name in BUNDLED_CSV:
        frame = _read_bundled_csv(*BUNDLED_CSV[name])
    else:  # diabetes: its loader also scales the features, with scikit-learn's own code
        from sklearn import datasets

        frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    if target != "target":
        frame = frame.rename(columns={"target": target})
    return frame


def load_source(source: str, target: str):
    """Return the raw data frame for ``ingest.source``, checking the target column exists."""
    source = str(source).strip()
    if source.startswith("sklearn:"):
        return load_bundled(source.split(":", 1)[1], target)
    if Path(source).suffix.lower() not in common.DATA_SUFFIXES:
        raise common.UserError(f"ingest.source {source!r} is not supported; use {ALLOWED}")
    if not Path(source).is_file():
        raise common.UserError(
            f"ingest.source file {source} not found; put the file there or fix ingest.source"
        )
    frame = common.read_table(source)
    if target not in frame.columns:
        columns = ", ".join(map(repr, map(str, frame.columns)))
        raise common.UserError(
            f"target column {target!r} not found in {source}; set ingest.target to one of: "
            f"{columns}"
        )
    return frame


def write_parquet(frame, out: str | Path) -> None:
    """Write ``frame`` to ``out`` as Parquet, in row groups of ROW_GROUP_ROWS rows."""
    common.need_pyarrow(out)
    import pyarrow as pa

    if Path(out).suffix.lower() != ".parquet":
        raise common.UserError(f"--out {out}: the raw data is written as Parquet; name it .parquet")
    with common.replacing(out) as temp:
        try:
            frame.to_parquet(temp, index=False, row_group_size=ROW_GROUP_ROWS)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise common.UserError(
                f"cannot write the data as Parquet: {exc}; give each column one type"
            ) from exc


def ingest(source: str, target: str, out: str | Path) -> int:
    """Write the raw data to ``out`` as Parquet and return the number of rows."""
    frame = load_source(source, target)
    frame.columns = [str(column) for column in frame.columns]
    write_parquet(frame, out)
    return len(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="Parquet file to write")
    args = parser.parse_args(argv)
    try:
        params = common.load_params("ingest")
        source = common.require(params, "source", "ingest")
        target = str(common.require(params, "target", "ingest"))
        rows = ingest(source, target, args.out)
    except common.UserError as exc:
        return common.fail(exc)
    print(f"ingest: {rows} rows from {source} -> {args.out}")
    common.before_exit(argv)
    return 0
