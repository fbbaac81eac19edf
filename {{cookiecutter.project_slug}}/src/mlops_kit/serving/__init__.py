"""Using the model: batch prediction, the HTTP service, input checks, lineage, downloads.

- ``batch_io``: reading a data file a batch at a time, and writing one that appears only when
  complete.
- ``download``: download a published model (a GitHub release `model@vX.Y.Z`) and check it is the
  one published.
- ``input_checks``: rows checked against the input rules at once, number columns as one matrix.
- ``input_rules``: the expectation suite's rules for the model's input columns, and how a
  broken one is said.
- ``lineage``: where a model comes from, as one JSON document: lineage.json.
- ``many_models``: the models of a many-models project as the service reads them from
  reports/models.json, each file checked against the md5 recorded there before it loads.
- ``release_models``: the models of a many-models release `models-release-<N>`: its manifest
  read once, each model's files downloaded when first needed and checked against git (its
  version tag's reports/models.json) before use.
- ``predict``: batch prediction: score a CSV or Parquet file with the trained model, in batches.
- ``serve``: serve the model (or every model of a many-models project) over HTTP (FastAPI and
  uvicorn, the `serve` extra), as MLflow's scoring server.
- ``service/``: the HTTP service itself: the application, its limits, the request body, the
  log and how uvicorn runs it.
- ``trust``: whether a downloaded model is the one git says was released (dvc.lock at its tag),
  before anything loads it.

``python -m mlops_kit.serving.predict`` and ``python -m mlops_kit.serving.serve``.
"""
