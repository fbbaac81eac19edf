"""The HTTP service that ``python -m mlops_kit.serving.serve`` runs (FastAPI and uvicorn).

- ``app``: the model as a FastAPI application, speaking the JSON of MLflow's scoring server.
- ``limits``: the service's limits, from params.yaml's `serve:` section and their flags.
- ``many_app``: every model of a many-models project as one FastAPI application, each at
  /models/<name>/.
- ``model_cache``: the models a many-models service keeps loaded: each loaded on its first
  request, the least recently used evicted beyond `max_models_mb`.
- ``piecewise_json``: JSON read an outer item at a time, so that other threads run between
  items (a large request body).
- ``prediction_log``: the service's `--log`: validated inputs and predictions as JSON lines,
  rotated beyond a size.
- ``protocol``: how uvicorn runs the service: a timeout on request heads, keep-alive,
  `--workers`, and the last-resort 500.
- ``request_body``: the request body read within its limits (type, size, time, rows), and its
  rows as a frame of the model's columns.
- ``request_schema``: the service's request body as JSON schemas: every input column with its
  type, bounds and values, as the expectation suite sets them, for the OpenAPI document (/docs).
"""
