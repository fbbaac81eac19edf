"""Features: what becomes of the input columns before the model sees them.

``build`` returns an unfitted scikit-learn transformer. It is the first step of the Pipeline
that train fits and saves, so evaluate, batch prediction and the service apply exactly the
same features to new rows. To add a feature, compute it here: for example, a ratio of two
columns, with a ``FunctionTransformer`` before the ColumnTransformer
(``make_pipeline(FunctionTransformer(add_ratio), columns)``), where ``add_ratio`` is a function
of this module returning the frame with the new column, and the columns split after it
(``split_columns(add_ratio(frame))``).
"""

from __future__ import annotations

from typing import Any


def split_columns(frame) -> tuple[list[str], list[str]]:
    """Return (numeric, categorical) feature columns; booleans count as categorical."""
    from pandas.api import types

    numeric = [
        column
        for column in frame.columns
        if types.is_numeric_dtype(frame[column]) and not types.is_bool_dtype(frame[column])
    ]
    return numeric, [c for c in frame.columns if c not in numeric]


def build(frame, params: dict[str, Any]):
    """Return the unfitted transformer of ``frame``'s columns: numeric ones imputed with their
    median and scaled, the others imputed with their most frequent value and one-hot encoded."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric, categorical = split_columns(frame)
    as_object = FunctionTransformer(
        np.asarray, kw_args={"dtype": object}, feature_names_out="one-to-one"
    )
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("as_object", as_object),
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical)]
    )
