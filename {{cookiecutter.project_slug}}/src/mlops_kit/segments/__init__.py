"""Many models in one project: one per value of ``train.segment_by``, trained by a few DVC
stages (shards), each fitting only the models whose rows, settings or code changed.

- ``aggregate``: evaluate stage of a many-models project: every model's metrics in one
  file (reports/models.json), and theirs all together (reports/metrics.json).
- ``names``: which models there are: model names, their folders and shards, and the
  ``train:`` settings around ``segment_by``, checked.
- ``one_model``: one segment's model: fitted, scored on its test rows, and written to its
  own folder (model.joblib, metrics.json, profile.json).
- ``plan``: plan stage: each training shard's settings, in a file of its own.
- ``rows``: prepare's split within each segment, and the hash of each segment's rows.
- ``shard``: one training shard: train and score the models that changed.
- ``survey``: what one shard has to do: which models to fit, to score again, or to keep.

The owners' stages are the same as a one-model project's: their ``train.py`` and
``evaluate.py`` call ``pipeline.train`` and ``pipeline.evaluate``, which hand over to
``shard`` and ``aggregate`` when dvc.yaml passes ``--shard`` or ``--models``.
"""
