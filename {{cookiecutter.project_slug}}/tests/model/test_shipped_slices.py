"""The metrics by slice the pipeline wrote (reports/slices.json) for the model it trained:
one entry per `evaluate.slices` column, covering every test row, beside metrics.json."""

import json

import pandas as pd
import pytest
from test_shipped_model import built, stage_paths

pytestmark = pytest.mark.artifact


@pytest.fixture(scope="module")
def written(root) -> dict:
    paths = stage_paths(root, "evaluate")
    files = {k: built(root, paths[k]) for k in ("slices", "metrics", "test")}
    return {
        "slices": json.loads(files["slices"].read_text(encoding="utf-8")),
        "metrics": json.loads(files["metrics"].read_text(encoding="utf-8")),
        "test": pd.read_parquet(files["test"]),
    }


def test_every_configured_column_is_sliced_over_the_whole_test_split(written, project_params):
    section = project_params["evaluate"]
    found = written["slices"]
    named = [i["column"] if isinstance(i, dict) else i for i in section.get("slices") or []]
    assert [column["column"] for column in found["slices"]] == named
    size = found["min_size"]
    assert size == section.get("min_slice_size", 30)
    for column in found["slices"]:
        values = column["values"]
        assert sum(v["n"] for v in values) == len(written["test"])
        assert all(v["gated"] == (v["n"] >= size) for v in values)
        assert set(column["gaps"]) <= set(written["metrics"])
        if sum(v["gated"] for v in values) >= 2:
            assert column["gaps"], column["column"]


def test_the_overall_values_are_metrics_json_with_their_interval(written):
    overall = written["slices"]["overall"]
    assert {name: entry["value"] for name, entry in overall.items()} == written["metrics"]
    for name, entry in overall.items():
        if entry["value"] is not None:
            assert entry["low"] <= entry["value"] <= entry["high"], name
