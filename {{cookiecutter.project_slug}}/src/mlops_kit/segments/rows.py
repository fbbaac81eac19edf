"""The rows of each segment: their model names, and the hash that says a segment changed.

``groups``: the sorted model names of a segment column and the row numbers of each.

``split``: each segment's rows by model name, in their order: one take of the whole frame
(none when it is in that order already, as by_shard's files are), then a slice of it per
segment (no copy), so that a shard of hundreds of models it keeps costs one pass over its
rows, not one per model.

``hashes``: each segment's rows as one SHA-256, whatever their order or index: the row
hashes of ``pandas.util.hash_pandas_object``, sorted, with the columns' names and types;
one vectorised pass over the whole frame.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from mlops_kit.segments import names


def groups(values) -> tuple[list[str], list[np.ndarray]]:
    """The model names of ``values`` (a Series of segment values, none missing), sorted,
    and the row numbers of each."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.diff(codes[order])) + 1
    parts = np.split(order, starts) if len(order) else []
    return [names.name_of(value) for value in uniques], parts


def hashes(frame, column: str) -> dict[str, str]:
    """Each segment's rows hashed as the module says; the segment column included."""
    import pandas as pd

    header = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    found, parts = groups(frame[column])
    return {
        name: hashlib.sha256(header + np.sort(rows[part]).tobytes()).hexdigest()
        for name, part in zip(found, parts, strict=True)
    }


def split(frame, column: str) -> dict:
    """Each segment's rows, without ``column``, by model name (the order of ``groups``)."""
    found, parts = groups(frame[column])
    order = np.concatenate(parts) if parts else np.arange(0)
    ordered = frame.drop(columns=[column])
    if not (order[1:] > order[:-1]).all():  # by_shard's files are in this order already
        ordered = ordered.take(order)
    ends = np.cumsum([len(part) for part in parts]).tolist()
    starts = [0, *ends[:-1]]
    return {
        name: ordered.iloc[start:end] for name, start, end in zip(found, starts, ends, strict=True)
    }
