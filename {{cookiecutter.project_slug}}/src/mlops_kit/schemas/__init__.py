"""The shapes of what the pipeline writes and the kit's CI parts read, as JSON Schemas.

- ``metrics.schema.json``: reports/metrics.json (evaluate).
- ``validation.schema.json``: reports/validation.json (validate).
- ``slices.schema.json``: reports/slices.json (evaluate).
- ``explain.schema.json``: reports/explain.json (evaluate).
- ``profile.schema.json``: reports/profile.json (evaluate, read by the monitor).

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


def schema(name: str) -> dict:
    """The JSON Schema of the output ``name`` (a key of OUTPUTS)."""
    return json.loads((HERE / f"{name}.schema.json").read_text(encoding="utf-8"))
