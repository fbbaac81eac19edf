"""The shapes of what the pipeline writes and the kit's CI parts read, as JSON Schemas.

- ``metrics.schema.json``: reports/metrics.json (evaluate).
- ``validation.schema.json``: reports/validation.json (validate).
- ``slices.schema.json``: reports/slices.json (evaluate).
- ``explain.schema.json``: reports/explain.json (evaluate).
- ``profile.schema.json``: reports/profile.json (evaluate, read by the monitor).
- ``models.schema.json``: reports/models.json (evaluate of a project with many models); each
  model's folder holds a metrics.json and a profile.json of the schemas above.
- ``manifest.schema.json``: the manifest.json of a many-models release `models-release-<N>`
  (publish; not a pipeline output).

A project's stages may change how these are computed, never their shape: the project's
tests/code/test_outputs.py checks its own outputs against them.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
# {name: the report file the pipeline writes}
OUTPUTS = {
    "metrics": "reports/metrics.json",
    "validation": "reports/validation.json",
    "slices": "reports/slices.json",
    "explain": "reports/explain.json",
    "profile": "reports/profile.json",
}
# The same for a project with many models (train.segment_by): the aggregate metrics, the
# validation and every model's listing; each model's own files are in MODEL_FILES.
MANY_MODELS_OUTPUTS = {
    "metrics": "reports/metrics.json",
    "validation": "reports/validation.json",
    "models": "reports/models.json",
}
MODEL_FILES = {"metrics": "metrics.json", "profile": "profile.json"}


def schema(name: str) -> dict:
    """The JSON Schema of the output ``name`` (a key of OUTPUTS)."""
    return json.loads((HERE / f"{name}.schema.json").read_text(encoding="utf-8"))
