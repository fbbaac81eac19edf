"""Seeded train/test split, stratified or not, without importing scikit-learn.

The same rows, in the same order, as ``sklearn.model_selection.train_test_split`` with
``random_state=seed`` (a project test checks it against scikit-learn on many shapes):
prepare, a process of its own, then spends no second importing scikit-learn for it.
"""

from __future__ import annotations

import math

import numpy as np


def _apportion(counts, draws: int, rng):
    """Share ``draws`` among classes in proportion to ``counts``; ties are broken at random."""
    share = counts / counts.sum() * draws
    taken = np.floor(share)
    missing = int(draws - taken.sum())
    remainder = share - taken
    for value in np.sort(np.unique(remainder))[::-1]:
        if missing <= 0:
            break
        (tied,) = np.where(remainder == value)
        chosen = rng.choice(tied, size=min(len(tied), missing), replace=False)
        taken[chosen] += 1
        missing -= len(chosen)
    return taken.astype(int)


def split_indices(labels, test_size: float, seed: int, stratify: bool):
    """(train, test) row positions: ``ceil(test_size * rows)`` rows go to test.

    With ``stratify``, each class of ``labels`` keeps its share in both parts; a class of
    one row, or more classes than rows in a part, is a ValueError."""
    rows = len(labels)
    n_test = math.ceil(test_size * rows)
    n_train = rows - n_test
    if n_train < 1:
        raise ValueError(f"{rows} rows leave none for training with test_size {test_size}")
    rng = np.random.RandomState(seed)
    if not stratify:
        order = rng.permutation(rows)
        return order[n_test:], order[:n_test]
    classes, codes = np.unique(np.asarray(labels), return_inverse=True)
    counts = np.bincount(codes)
    if counts.min() < 2:
        raise ValueError("a class has only 1 row; stratifying needs at least 2 of each")
    if min(n_train, n_test) < len(classes):
        raise ValueError(f"each part needs at least one row of each of the {len(classes)} classes")
    members = np.split(np.argsort(codes, kind="mergesort"), np.cumsum(counts)[:-1])
    train_counts = _apportion(counts, n_train, rng)
    test_counts = _apportion(counts - train_counts, n_test, rng)
    train, test = [], []
    for rows_of_class, k_train, k_test in zip(members, train_counts, test_counts, strict=True):
        shuffled = rows_of_class.take(rng.permutation(len(rows_of_class)), mode="clip")
        train.extend(shuffled[:k_train])
        test.extend(shuffled[k_train : k_train + k_test])
    return rng.permutation(train), rng.permutation(test)
