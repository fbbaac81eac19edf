"""Evaluation for the evaluate stage: explanations, slices, bootstrap intervals, the profile.

- ``binning``: the slices of one `evaluate.slices` item: a label for every row of the test
  split.
- ``bootstrap``: the task's metrics on many bootstrap resamples at once, one value per resample.
- ``explain``: what the model relies on, for the evaluate stage: permutation importance of each
  column and of each group of correlated columns, and partial dependence of the top ones (test
  split).
- ``grouping``: groups of correlated columns for explain.py: numeric columns clustered
  hierarchically by 1 - |Spearman ρ| and cut at a distance; any other column is a group of its
  own.
- ``predictions``: the model's outputs on a split, made once and shared by what scores them;
  the model file loaded and checked.
- ``profile``: the reference profile of the training data and of the model's predictions on the
  test split, written by the evaluate stage for `python -m mlops_kit.monitoring.monitor` to
  compare batches with.
- ``slices``: the test split's metrics by slice, with bootstrap intervals: reports/slices.json.
"""
