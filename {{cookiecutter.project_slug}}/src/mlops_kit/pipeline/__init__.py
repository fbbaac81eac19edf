"""The generic work of each pipeline stage, called by the owners' thin stage modules.

- ``evaluate``: evaluate stage: score the model on the test split and write metrics and plot
  data, what the model relies on (explain.py), and the reference profile of the training data
  and of the predictions that the monitor reads.
- ``ingest``: ingest stage: load the raw data set named by ``ingest.source`` and write it as
  Parquet.
- ``prepare``: prepare stage: refuse unvalidated data, then split it into train and test sets.
- ``train``: train stage: fit the owners' pipeline (their features, then their model) and
  save it.
- ``validate``: validate stage: check the raw data against the Great Expectations suite.

Each module has ``main(argv)``; the owners' ``src/<package>/<stage>.py`` calls it, passing its own
code where a stage takes some (train takes the owners' ``build_pipeline``).
"""
