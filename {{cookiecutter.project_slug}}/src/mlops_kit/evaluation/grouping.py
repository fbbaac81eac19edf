"""Groups of correlated columns for explain.py: numeric columns clustered hierarchically by
1 - |Spearman ρ| and cut at a distance; any other column is a group of its own.

On a large test split, the rank correlations are estimated on a seeded sample of
CORRELATION_ROWS rows: Spearman's ρ from 10^5 rows is within about 0.003 of the whole
split's, far finer than any cut, at a small part of the time.
"""

from __future__ import annotations

from mlops_kit.evaluation import profile

CORRELATION_ROWS = 100_000


def sample(frame, rows: int, seed: int):
    """``frame`` itself, or a seeded sample of ``rows`` of its rows when it has more."""
    return frame if len(frame) <= rows else frame.sample(n=rows, random_state=seed)


def sample_rows(features, actual, most: int | None, seed: int):
    """``features`` and ``actual`` themselves, or the same seeded sample of ``most`` of their
    rows (in their order) when they have more (None: never)."""
    if most is None or len(features) <= most:
        return features, actual
    import numpy as np

    rows = np.sort(np.random.default_rng(seed).choice(len(features), most, replace=False))
    return features.iloc[rows], actual.iloc[rows]


def clusters(features, threshold: float, linkage: str = "average", seed: int = 0):
    """Groups of column names: numeric columns clustered by |Spearman ρ|, in column order;
    every other column (text, categories, booleans) alone."""
    import numpy as np
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform

    numeric = [name for name in features.columns if profile.is_numeric(features[name])]
    groups = [[name] for name in features.columns if name not in numeric]
    if len(numeric) < 2:
        return [[name] for name in numeric] + groups
    corr = sample(features[numeric], CORRELATION_ROWS, seed).corr(method="spearman")
    corr = corr.abs().fillna(0.0).to_numpy().copy()
    np.fill_diagonal(corr, 1.0)
    tree = hierarchy.linkage(squareform(1.0 - corr, checks=False), method=linkage)
    labels = hierarchy.fcluster(tree, threshold, criterion="distance")
    found: dict[int, list[str]] = {}
    for name, label in zip(numeric, labels, strict=True):
        found.setdefault(int(label), []).append(name)
    return sorted(found.values(), key=lambda g: numeric.index(g[0])) + groups
