"""Many models in one project: one per value of ``train.segment_by``, trained by a few DVC
stages (shards), each fitting only the models whose rows, settings or code changed.

- ``aggregate``: evaluate stage of a many-models project: every model's metrics in one
  file (reports/models.json), and theirs all together (reports/metrics.json).
- ``by_shard``: prepare's train and test files stored by training shard, so that each shard
  reads only its own rows.
- ``names``: which models there are: model names, their folders and shards, and the
  ``train:`` settings around ``segment_by``, checked.
- ``one_model``: one segment's model: fitted, scored on its test rows, and written to its
  own folder (model.joblib, metrics.json, profile.json).
- ``plan``: plan stage: each training shard's settings, in a file of its own.
- ``rows``: the model names of a segment column, and the hash of each segment's rows.
- ``shard``: one training shard: train and score the models that changed.
- ``split``: prepare stage of a many-models project: each segment split on its own, the
  files stored by shard.
- ``survey``: what one shard has to do: which models to fit, to score again, or to keep.

In a project with many models, the owners' ``prepare.py``, ``plan.py``, ``train.py`` and
``evaluate.py`` call ``split``, ``plan``, ``shard`` and ``aggregate``; their ``features.py``
and ``model.py`` are those of a one-model project.
"""
