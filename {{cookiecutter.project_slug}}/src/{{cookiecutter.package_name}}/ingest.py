"""Ingest stage: load the raw data set named by ``ingest.source`` and write it as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import common

BUNDLED = ("breast_cancer", "wine", "diabetes")
ALLOWED = ", ".join(f"'sklearn:{name}'" for name in BUNDLED) + " or a path to a .csv/.parquet file"


def load_bundled(name: str, target: str):
    """Return a data set bundled with scikit-learn, its label column named ``target``."""
    if name not in BUNDLED:
        raise common.UserError(f"ingest.source: unknown data set 'sklearn:{name}'; use {ALLOWED}")
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


def ingest(source: str, target: str, out: str | Path) -> int:
    """Write the raw data to ``out`` as CSV and return the number of rows."""
    frame = load_source(source, target)
    frame.to_csv(common.ensure_parent(out), index=False)
    return len(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    try:
        params = common.load_params("ingest")
        source = common.require(params, "source", "ingest")
        target = str(common.require(params, "target", "ingest"))
        rows = ingest(source, target, args.out)
    except common.UserError as exc:
        return common.fail(exc)
    print(f"ingest: {rows} rows from {source} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
