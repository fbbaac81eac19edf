"""The prepared splits of a many-models project, stored by training shard.

``write``: prepare's train.parquet or test.parquet with its rows ordered by shard, then by
segment (each segment's rows in their order), one row group (or more, past ROW_GROUP rows)
a shard, and the rows of each shard recorded in the file's metadata. ``read`` gives one
shard its own rows by reading only its row groups, so a shard retraining one model reads a
quarter of the file, not all of it (and keeps nothing it does not need). A file without that
record, or written for another ``segment_by`` or number of shards, is read whole and the
shard's rows kept (``mine``): the same rows either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mlops_kit import common
from mlops_kit.segments import names

KEY = b"mlops_kit.shards"
ROW_GROUP = 1 << 20  # rows a row group at most (pyarrow's default)


def shard_rows(values, shards: int) -> tuple[np.ndarray, np.ndarray]:
    """(the shard of each of ``values``, a Series of segment values with none missing; the
    number of each one's segment in sorted order)."""
    from pandas import factorize

    codes, uniques = factorize(values, sort=True)
    of = np.array([names.shard_of(names.name_of(v), shards) for v in uniques], dtype=np.int64)
    return of[codes], codes


def write(frame, path: str | Path, column: str, shards: int) -> None:
    """Write ``frame`` (pandas, no missing ``column`` value) to ``path`` by shard."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shard, segment = shard_rows(frame[column], shards)
    order = np.lexsort((segment, shard))  # stable: each segment's rows keep their order
    table = pa.Table.from_pandas(frame.iloc[order], preserve_index=False)
    counts = np.bincount(shard, minlength=shards).tolist()
    record = json.dumps({"segment_by": column, "shards": shards, "rows": counts}).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), KEY: record})
    with pq.ParquetWriter(path, table.schema) as out:
        start = 0
        for count in counts:  # a shard's rows start a row group of their own, even none
            out.write_table(table.slice(start, count), row_group_size=ROW_GROUP)
            start += count


def groups_of(source, column: str, shard: int, shards: int) -> list[int] | None:
    """The row groups of ``source`` (a ParquetFile) holding exactly shard ``shard``'s rows,
    from its record; None when it has none for this ``column`` and ``shards`` or its row
    groups disagree with it."""
    meta = source.metadata
    try:
        record = json.loads((source.schema_arrow.metadata or {}).get(KEY, b"null"))
    except ValueError:
        return None
    if not isinstance(record, dict) or (record.get("segment_by"), record.get("shards")) != (
        column,
        shards,
    ):
        return None
    counts = record.get("rows")
    if not isinstance(counts, list) or len(counts) != shards or sum(counts) != meta.num_rows:
        return None
    first = sum(counts[:shard])
    last, found, at = first + counts[shard], [], 0
    for index in range(meta.num_row_groups):
        size = meta.row_group(index).num_rows
        if first <= at and at + size <= last:
            found.append(index)
        elif at < last and first < at + size:  # a row group across two shards
            return None
        at += size
    return found


def mine(table, column: str, shard: int, shards: int):
    """The rows of ``table`` (pyarrow) whose segment belongs to ``shard``, as pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = table.column(column)
    chosen = [v for v in values.unique().to_pylist() if v is not None]
    chosen = [v for v in chosen if names.shard_of(names.name_of(v), shards) == shard]
    keep = pc.is_in(values, value_set=pa.array(chosen, type=values.type))
    return table.filter(keep).to_pandas()


def read(path: str | Path, column: str, shard: int, shards: int):
    """Shard ``shard``'s rows of the Parquet file ``path``, as pandas (see the module)."""
    import pyarrow.parquet as pq

    path = common.table_file(path)
    try:
        source = pq.ParquetFile(path)
    except Exception as exc:
        raise common.UserError(f"cannot read {path}: {exc}; run `dvc repro prepare`") from exc
    if column not in source.schema_arrow.names:
        raise common.UserError(f"train.segment_by column {column!r} is not in {path}")
    groups = groups_of(source, column, shard, shards)
    if groups is None:
        return mine(source.read(), column, shard, shards)
    rows = source.read_row_groups(groups) if groups else source.schema_arrow.empty_table()
    frame = rows.to_pandas()
    if len(frame) and (shard_rows(frame[column], shards)[0] != shard).any():
        return mine(source.read(), column, shard, shards)  # not the layout it records
    return frame
