"""Drift statistics on numpy and scipy: a column's reference profile, and tests of a batch
against it.

A numeric profile keeps 100 quantiles (levels 0.005 ... 0.995), the counts of reference
values at or below and below each, the mean, the standard deviation and the count; a categorical
one, the share of each frequent value. Both keep the missing rate. Every test returns a
p-value and an effect size: a column drifts only when the p-value survives Holm's
correction over all the batch's tests and the effect is large enough to matter. scipy is
imported by the tests only: writing a profile (in the evaluate stage) needs numpy alone.
"""

from __future__ import annotations

import numpy as np

LEVELS = (np.arange(100) + 0.5) / 100
MAX_CATEGORIES = 50
RARE = 5  # a category expected fewer times than this in the batch is pooled with the rest


def numeric_profile(values) -> dict:
    """The reference profile of a numeric column (NaN counts as missing)."""
    values = np.asarray(values, dtype=float)
    present = np.sort(values[~np.isnan(values)])
    profile = {"kind": "numeric", "rows": len(values), "missing": missing_rate(values)}
    if len(present) == 0:
        return {**profile, "count": 0}
    quantiles = np.array([float(f"{q:.6g}") for q in np.quantile(present, LEVELS)])
    at_or_below = np.searchsorted(present, quantiles, side="right")
    below = np.searchsorted(present, quantiles, side="left")
    return {
        **profile,
        "count": len(present),
        "mean": float(present.mean()),
        "std": float(present.std(ddof=1)) if len(present) > 1 else 0.0,
        "quantiles": quantiles.tolist(),
        "at_or_below": at_or_below.tolist(),  # how many reference values, of count
        "below": below.tolist(),
    }


def categorical_profile(values) -> dict:
    """The reference profile of a categorical column: shares of its frequent values."""
    values = np.asarray(values, dtype=object)
    present = values[~_is_missing(values)].astype(str)
    names, counts = np.unique(present, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    shares = {str(names[i]): int(counts[i]) / len(present) for i in order}
    profile = {"kind": "categorical", "rows": len(values), "missing": missing_rate(values)}
    return {**profile, "count": len(present), "shares": shares}


def _is_missing(values) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def missing_rate(values) -> float:
    return float(_is_missing(values).mean()) if len(values) else 0.0


def mid_ranks(profile: dict, values: np.ndarray) -> np.ndarray:
    """Each value's mid-rank in the reference, as a share: P(X < v) + P(X = v) / 2,
    interpolated linearly between the reference quantiles."""
    quantiles = np.asarray(profile["quantiles"])
    grid, first = np.unique(quantiles, return_index=True)
    last = np.searchsorted(quantiles, grid, side="right") - 1
    below = np.asarray(profile["below"])[first] / profile["count"]
    upto = np.asarray(profile["at_or_below"])[last] / profile["count"]
    k = np.clip(np.searchsorted(grid, values, side="right") - 1, 0, len(grid) - 1)
    exact = grid[k] == values
    nxt = np.minimum(k + 1, len(grid) - 1)
    width = np.where(grid[nxt] > grid[k], grid[nxt] - grid[k], 1.0)
    between = upto[k] + np.clip((values - grid[k]) / width, 0, 1) * (below[nxt] - upto[k])
    ranks = np.where(exact, (below[k] + upto[k]) / 2, between)
    ranks = np.where(values < grid[0], below[0] / 2, ranks)
    return np.where(values > grid[-1], (1 + upto[-1]) / 2, ranks)


def numeric_tests(profile: dict, values) -> list[dict]:
    """Kolmogorov-Smirnov on the reference's quantile grid, and a rank test of location.

    The KS statistic is taken at the 100 reference quantiles only: a lower bound of the
    full two-sample statistic, so its p-value (Stephens' approximation for sizes n and m,
    n*m/(n+m) effective) is conservative. The rank test is Mann-Whitney's, the mean of the
    batch's mid-ranks in the reference against 1/2 with its no-ties variance (conservative
    with ties); unlike a t-test it holds on skewed columns and batches of 30. The effect
    size of both is the Wasserstein distance between the quantile functions, in reference
    standard deviations."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    present = np.sort(values[~np.isnan(values)])
    n, m = profile["count"], len(present)
    if n < 2 or m < 2:
        return []
    grid, ref_cdf = np.asarray(profile["quantiles"]), np.asarray(profile["at_or_below"]) / n
    cur_cdf = np.searchsorted(present, grid, side="right") / m
    d = float(np.abs(cur_cdf - ref_cdf).max())
    root = np.sqrt(n * m / (n + m))
    p_ks = float(stats.kstwobign.sf((root + 0.12 + 0.11 / root) * d))
    scale = profile["std"] or 1.0
    shift = float(np.abs(np.quantile(present, LEVELS) - grid).mean()) / scale
    rank = float(mid_ranks(profile, present).mean())
    z = (rank - 0.5) / np.sqrt((n + m + 1) / (12 * n * m))
    return [
        {"test": "ks", "statistic": d, "p": p_ks, "effect": shift},
        {"test": "rank", "statistic": rank, "p": float(2 * stats.norm.sf(abs(z))), "effect": shift},
    ]


def categorical_tests(profile: dict, values) -> tuple[list[dict], float, list[str]]:
    """Chi-square test of the value shares against the reference, and the unseen values'
    test; (tests, share of values never seen in the reference, up to 5 of those values).
    The chi-square's effect size is the total variation distance between the shares, rare
    and unseen values pooled."""
    from scipy import stats

    values = np.asarray(values, dtype=object)
    present = values[~_is_missing(values)].astype(str)
    m, n = len(present), profile["count"]
    known = list(profile["shares"])
    unseen_mask = ~np.isin(present, known)
    unseen = float(unseen_mask.mean()) if m else 0.0
    examples = [str(v) for v in np.unique(present[unseen_mask])[:5]]
    if n == 0 or m < 2:
        return [], unseen, examples
    ref = np.array([profile["shares"][k] for k in known])
    counts = np.array([(present == k).sum() for k in known], dtype=float)
    keep = ref * m >= RARE
    ref_cells = [*ref[keep], max(0.0, 1.0 - ref[keep].sum())]
    cur_cells = [*counts[keep], m - counts[keep].sum()]
    ref_cells, cur_cells = np.array(ref_cells) * n, np.array(cur_cells)
    used = (ref_cells + cur_cells) > 0
    table = np.vstack([ref_cells[used], cur_cells[used]])
    effect = 0.5 * float(np.abs(table[0] / n - table[1] / m).sum())
    tests = [unseen_test(profile, int(unseen_mask.sum()), m)]
    if table.shape[1] >= 2:
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        tests.append({"test": "chi2", "statistic": float(chi2), "p": float(p), "effect": effect})
    return tests, unseen, examples


def unseen_test(profile: dict, count: int, m: int) -> dict:
    """Binomial test: more of the batch's values outside the profile's frequent ones than in
    training (none there: any is impossible under the reference). The effect is the rise."""
    from scipy import stats

    expected = max(0.0, 1.0 - sum(profile["shares"].values()))
    p = float(stats.binom.sf(count - 1, m, expected)) if count else 1.0
    effect = max(0.0, count / m - expected)
    return {
        "test": "unseen",
        "statistic": count / m,
        "p": p,
        "effect": effect,
        "expected": expected,
    }


def missing_test(profile: dict, values) -> list[dict]:
    """Two-proportion z-test of the missing rate; none when neither side has a gap (such a
    test cannot reject, and leaving it out keeps the others' threshold, as Tarone's)."""
    from scipy import stats

    n, m = profile["rows"], len(values)
    ref, cur = profile["missing"], missing_rate(values)
    pooled = (ref * n + cur * m) / (n + m)
    if pooled in (0.0, 1.0) or m == 0:
        return []
    z = (cur - ref) / np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    p = float(2 * stats.norm.sf(abs(z)))
    return [{"test": "missing", "statistic": cur, "p": p, "effect": abs(cur - ref)}]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate), in the input order."""
    p = np.asarray(p_values, dtype=float)
    if len(p) == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(scaled, 1.0)
    return adjusted
