"""The task's metrics on many bootstrap resamples at once, one value per resample.

``rows`` is a (resamples, n) array of row numbers. Regression calls the very functions of
evaluate.py once for all resamples (scikit-learn's ``multioutput="raw_values"``).
Classification counts each resample's confusion matrix in one ``bincount`` and derives
the metrics of evaluate.py from it as scikit-learn does (macro averages over the classes
present, zero_division 0; balanced accuracy over the classes in the truth; ROC AUC from
ranks, one-vs-rest macro for more than 2 classes), so a resample needs no Python loop.
tests/code/test_slices.py checks both against evaluate.py, resample by resample. A metric
undefined on a resample (one class only) is NaN there.

Above ``most`` rows, each resample draws ``most`` of them (an m-out-of-n bootstrap) and its
distance from the value on all the rows is shrunk by sqrt(most / n): the spread of a
resample of n rows, at a fraction of the cost. The intervals of a large split are then as
narrow as its size warrants, and their cost stops growing with it.
"""

from __future__ import annotations

import numpy as np

# Resamples x rows scored at once: memory follows this, not the size of the data.
CELLS = 4_000_000


def resampled(task: str, actual, predicted, proba, classes, rows, resamples: int, rng, most=None):
    """The metrics on ``resamples`` bootstrap resamples of the row numbers ``rows``, scored a
    few resamples at a time (all at once when they fit in CELLS); resamples of at most
    ``most`` rows (None: all of them), rescaled as the module says."""

    def score(draws):
        if task == "classification":
            return classification(actual, proba, classes, draws)
        return regression(actual, predicted, draws)

    n = len(rows)
    size = n if most is None else min(n, most)
    step = max(1, min(resamples, CELLS // max(size, 1)))
    parts = [
        score(rows[rng.integers(0, n, (min(step, resamples - start), size))])
        for start in range(0, resamples, step)
    ]
    found = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    if size < n:
        whole, shrink = score(rows[None, :]), np.sqrt(size / n)
        found = {name: whole[name] + shrink * (v - whole[name]) for name, v in found.items()}
    return found


def regression(actual, predicted, rows) -> dict[str, np.ndarray]:
    from sklearn import metrics

    truth, guess = actual[rows].T, predicted[rows].T  # one column per resample
    raw = {"multioutput": "raw_values"}
    with np.errstate(all="ignore"):
        return {
            "rmse": metrics.root_mean_squared_error(truth, guess, **raw),
            "mae": metrics.mean_absolute_error(truth, guess, **raw),
            "r2": metrics.r2_score(truth, guess, **raw),
        }


def _ratio(top, bottom):
    return np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom > 0)


def _macro(values, present):
    """The mean of ``values`` over the classes ``present`` in each resample."""
    count = present.sum(axis=1)
    total = np.where(present, values, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0)


def _auc(score, positive):
    """ROC AUC of each row of ``score`` (resamples, n) for the boolean ``positive``."""
    from scipy.stats import rankdata

    ranks = rankdata(score, axis=1)
    pos = positive.sum(axis=1)
    neg = positive.shape[1] - pos
    wins = np.where(positive, ranks, 0.0).sum(axis=1) - pos * (pos + 1) / 2
    with np.errstate(all="ignore"):
        return np.where((pos > 0) & (neg > 0), wins / (pos * neg), np.nan)


def classification(actual, proba, classes, rows) -> dict[str, np.ndarray]:
    """``actual``: class labels; ``proba``: predict_proba, columns in ``classes`` order."""
    index = {label: i for i, label in enumerate(classes.tolist())}
    codes = np.array([index[label] for label in actual.tolist()], dtype=int)
    guess = proba.argmax(axis=1)
    k, (resamples, n) = len(classes), rows.shape
    flat = (np.arange(resamples)[:, None] * k + codes[rows]) * k + guess[rows]
    confusion = np.bincount(flat.ravel(), minlength=resamples * k * k).reshape(resamples, k, k)
    hits = np.diagonal(confusion, axis1=1, axis2=2).astype(float)
    truth, said = confusion.sum(axis=2), confusion.sum(axis=1)
    precision, recall = _ratio(hits, said), _ratio(hits, truth)
    f1 = _ratio(2 * hits, truth + said)
    present = (truth + said) > 0
    eps = np.finfo(proba.dtype).eps
    loss = -np.log(np.clip(proba[np.arange(len(codes)), codes], eps, 1 - eps))
    if k == 2:
        auc = _auc(proba[:, 1][rows], codes[rows] == 1)
    else:
        each = np.stack([_auc(proba[:, c][rows], codes[rows] == c) for c in range(k)])
        auc = each.mean(axis=0)  # NaN when a class is missing, as scikit-learn refuses then
    return {
        "accuracy": hits.sum(axis=1) / n,
        "balanced_accuracy": _macro(recall, truth > 0),
        "f1_macro": _macro(f1, present),
        "precision_macro": _macro(precision, present),
        "recall_macro": _macro(recall, present),
        "roc_auc": auc,
        "log_loss": loss[rows].mean(axis=1),
    }
