"""The split prepare makes is scikit-learn's train_test_split, row for row."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.split import split_indices

SHAPES = [(rows, classes) for rows in (10, 37, 150, 569, 1001) for classes in (2, 3, 5)]


@pytest.mark.parametrize(("rows", "classes"), SHAPES)
@pytest.mark.parametrize("stratify", [True, False], ids=["stratified", "shuffled"])
def test_same_rows_as_scikit_learn(rows, classes, stratify):
    rng = np.random.default_rng(rows * classes)
    weights = np.r_[np.full(classes - 1, 0.5 / (classes - 1)), 0.5]
    labels = rng.choice([f"c{i}" for i in range(classes)], rows, p=weights)
    compared = 0
    for test_size in (0.1, 0.2, 0.25, 0.33, 0.5):
        for seed in (0, 1, 42, 2024):
            try:
                expected = train_test_split(
                    np.arange(rows),
                    test_size=test_size,
                    random_state=seed,
                    stratify=labels if stratify else None,
                )
            except ValueError:
                with pytest.raises(ValueError, match="row"):
                    split_indices(labels, test_size, seed, stratify)
                continue
            got = split_indices(labels, test_size, seed, stratify)
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
            compared += 1
    assert compared > 0 or rows < classes * 10  # tiny shapes: every split is refused


def test_every_row_lands_in_exactly_one_part():
    labels = np.repeat(["a", "b", "c"], [50, 30, 20])
    train, test = split_indices(labels, 0.2, 7, stratify=True)
    assert sorted(np.r_[train, test]) == list(range(100))
    assert np.unique(labels[test], return_counts=True)[1].tolist() == [10, 6, 4]


def test_a_class_of_one_row_cannot_be_stratified():
    with pytest.raises(ValueError, match="only 1 row"):
        split_indices(["a"] * 9 + ["b"], 0.2, 0, stratify=True)
