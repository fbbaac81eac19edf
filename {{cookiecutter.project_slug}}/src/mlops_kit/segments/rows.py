"""The rows of each segment: the split of prepare, and the hash that says a segment changed.

``split``: prepare's train/test split done within each segment, each with the same seed, so
that a segment's split depends on its own rows only (a change to one segment moves no row of
another). Classification stratifies within a segment when its classes allow, else splits it
plainly. Rows without a segment value train no model and are left out (counted).

``hashes``: each segment's rows as one SHA-256, whatever their order or index: the row
hashes of ``pandas.util.hash_pandas_object``, sorted, with the columns' names and types;
one vectorised pass over the whole frame.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from mlops_kit import common
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


def split(frame, column: str, target: str, task: str, params: dict[str, Any]):
    """(train, test, rows left out for a missing segment value) of ``frame``."""
    from sklearn.model_selection import train_test_split

    from mlops_kit.pipeline import prepare

    if column not in frame.columns:
        raise common.UserError(
            f"params.yaml: train.segment_by column {column!r} is not in the data; its "
            f"columns are: {', '.join(map(str, frame.columns[:20]))}"
        )
    if column == target:
        raise common.UserError("params.yaml: train.segment_by cannot be the target column")
    frame = frame.dropna(subset=[target])
    missing = int(frame[column].isna().sum())
    frame = frame[frame[column].notna()].reset_index(drop=True)
    if frame.empty:
        raise common.UserError(f"no rows with values in both {target!r} and {column!r}")
    test_size, stratify, seed = prepare.settings(params, task)
    labels = frame[target].to_numpy()
    train_parts, test_parts = [], []
    for rows in groups(frame[column])[1]:
        if len(rows) < 2:
            train_parts.append(rows)
            continue
        strata = labels[rows] if stratify else None
        try:
            train, test = train_test_split(
                rows, test_size=test_size, random_state=seed, stratify=strata
            )
        except ValueError:  # a class too rare in this segment to stratify on
            train, test = train_test_split(rows, test_size=test_size, random_state=seed)
        train_parts.append(train)
        test_parts.append(test)
    train = np.sort(np.concatenate(train_parts))
    test = np.sort(np.concatenate(test_parts)) if test_parts else np.array([], dtype=int)
    return frame.iloc[train], frame.iloc[test], missing


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
