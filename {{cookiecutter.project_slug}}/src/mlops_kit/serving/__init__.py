"""Using the model: batch prediction, the HTTP service, input checks, lineage, downloads.

- ``batch_io``: reading a data file a batch at a time, and writing one that appears only when
  complete.
- ``download``: download a published model (a GitHub release `model@vX.Y.Z`) and check it is the
  one published.
- ``input_rules``: the expectation suite's rules for the model's input columns, checked on rows
  at once.
- ``limits``: the service's limits, from params.yaml's `serve:` section and their flags.
- ``lineage``: where a model comes from, as one JSON document: lineage.json.
- ``prediction_log``: the service's `--log`: validated inputs and predictions as JSON lines,
  rotated beyond a size.
- ``predict``: batch prediction: score a CSV or Parquet file with the trained model, in batches.
- ``protocol``: how uvicorn runs the service: a timeout on request heads, keep-alive,
  `--workers`, and the last-resort 500.
- ``request_body``: the request body read within its limits (type, size, time, rows), and its
  rows as a frame of the model's columns.
- ``request_schema``: the service's request body as JSON schemas: every input column with its
  type, bounds and values, as the expectation suite sets them, for the OpenAPI document (/docs).
- ``serve``: serve the model over HTTP (FastAPI and uvicorn, the `serve` extra), as MLflow's
  scoring server.
- ``service``: the model as a FastAPI application, speaking the JSON of MLflow's scoring server.
- ``trust``: whether a downloaded model is the one git says was released (dvc.lock at its tag),
  before anything loads it.

``python -m mlops_kit.serving.predict`` and ``python -m mlops_kit.serving.serve``.
"""
