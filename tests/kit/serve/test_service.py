"""The model service, started for real (uvicorn on a free loopback port), over HTTP."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest


def post(url: str, body: object, path: str = "/invocations") -> tuple[int, dict]:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    data = data.encode() if isinstance(data, str) else data
    request = urllib.request.Request(url + path, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return json.loads(response.read())


def records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def test_health(service):
    assert get(service.url, "/health")["status"] == "ok"


def test_records_and_split_get_the_models_predictions(service, model, rows):
    expected = model.predict(rows).tolist()
    status, answer = post(service.url, {"dataframe_records": records(rows)})
    assert (status, answer) == (200, {"predictions": expected})
    split = json.loads(rows.to_json(orient="split", index=False))
    assert post(service.url, {"dataframe_split": split}) == (200, {"predictions": expected})


@pytest.mark.parametrize(
    ("change", "column", "rule"),
    [
        ({"size": "big"}, "size", "expect_column_values_to_be_in_type_list"),
        ({"visits": 2.5}, "visits", "expect_column_values_to_be_in_type_list"),
        ({"colour": "purple"}, "colour", "expect_column_values_to_be_in_set"),
        ({"visits": 40}, "visits", "expect_column_values_to_be_between"),
        ({"member": None}, "member", "expect_column_values_to_not_be_null"),
    ],
    ids=["wrong-type", "not-whole", "unseen-category", "out-of-range", "null"],
)
def test_a_bad_row_is_refused_naming_row_column_and_rule(service, rows, change, column, rule):
    sent = records(rows.head(3))
    sent[1].update(change)
    status, answer = post(service.url, {"dataframe_records": sent})
    assert status == 422
    assert answer["errors"][0]["loc"] == ["dataframe_records", 1, column]
    assert answer["errors"][0]["rule"] == rule
    assert answer["message"].startswith(f"dataframe_records[1], column {column!r}: ")
    assert f"(rule {rule})" in answer["message"]


def test_a_missing_column_is_refused(service, rows):
    status, answer = post(service.url, {"dataframe_records": records(rows.drop(columns="colour"))})
    assert status == 422
    assert answer["errors"] == [
        {
            "loc": ["dataframe_records", "colour"],
            "column": "colour",
            "rule": "expect_table_columns_to_match_ordered_list",
            "msg": "column 'colour': the column is missing "
            "(rule expect_table_columns_to_match_ordered_list)",
        }
    ]


def test_several_missing_columns_are_named_in_one_line(service, rows):
    sent = records(rows.drop(columns=["visits", "member"]))
    status, answer = post(service.url, {"dataframe_records": sent})
    assert status == 422
    assert answer["message"] == (
        "columns 'visits', 'member' are missing (rule expect_table_columns_to_match_ordered_list)"
    )
    assert [error["column"] for error in answer["errors"]] == ["visits", "member"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the request body is empty"),
        (b"{not json", "the request body is not JSON"),
        ({"inputs": [[1, 2]]}, "one of dataframe_records, dataframe_split"),
        ({"dataframe_records": []}, "holds no rows to score"),
        ({"dataframe_split": {"columns": ["size"], "data": [[1, 2]]}}, "rows of 1 values each"),
        ({"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}, "a column twice"),
        ([{"size": 1}], "send a JSON object with one of dataframe_records, dataframe_split"),
        ({"dataframe_records": [[1, 2]]}, "a list of {column: value} objects"),
    ],
    ids=["empty", "not-json", "other-format", "no-rows", "ragged", "twice", "list", "not-rows"],
)
def test_malformed_bodies_get_a_422_never_a_500(service, body, says):
    status, answer = post(service.url, body)
    assert status == 422
    assert says in answer["message"]


def test_concurrent_requests_each_get_their_own_answer(service, model, rows):
    batches = [rows.iloc[i : i + 4] for i in range(0, len(rows), 4)] * 3

    def ask(batch):
        return post(service.url, {"dataframe_records": records(batch)})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, batches))
    assert answers == [(200, {"predictions": model.predict(b).tolist()}) for b in batches]


def test_metadata_ties_the_model_to_its_commit_and_data(service, small_project):
    about = get(service.url, "/metadata")
    head = ["git", "-C", str(small_project), "rev-parse", "HEAD"]
    assert about["commit"] == subprocess.run(head, capture_output=True, text=True).stdout.strip()
    data = small_project / "data" / "prepared" / "train.parquet"
    assert about["training_data"] == [
        {
            "path": "data/prepared/train.parquet",
            "md5": hashlib.md5(data.read_bytes()).hexdigest(),
            "size": None,
        }
    ]
    model_bytes = (small_project / "models" / "model.joblib").read_bytes()
    assert about["model"]["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert about["model"]["matches_dvc_lock"] is True
    assert about["release"] is None
    assert about["metrics"] == {"balanced_accuracy": 0.9}
    assert about["libraries"]["scikit-learn"]
    assert about["params"]["train"]["model"] == "random_forest"


def test_openapi_schema_names_each_column_and_its_type(service):
    row = get(service.url, "/openapi.json")["components"]["schemas"]["Row"]
    kinds = {name: spec.get("type") for name, spec in row["properties"].items()}
    assert kinds["visits"] == "integer"
    assert kinds["member"] == "boolean"
    number, null = row["properties"]["size"]["anyOf"]
    assert (number["type"], null) == ("number", {"type": "null"})
    assert number["minimum"] < number["maximum"]
    assert set(kinds) == {"size", "visits", "colour", "member"}
    assert set(row["required"]) == {"visits", "member"}


def test_each_answer_is_logged_as_a_json_line(service, rows):
    before = service.log.read_text().splitlines() if service.log.exists() else []
    status, answer = post(service.url, {"dataframe_records": records(rows.head(2))})
    lines = service.log.read_text().splitlines()[len(before) :]
    entry = json.loads(lines[-1])
    assert entry["outputs"] == answer["predictions"]
    assert [row["visits"] for row in entry["inputs"]] == rows.head(2)["visits"].tolist()
    assert entry["model_version"].startswith("md5:")
    assert entry["request_id"]
    assert entry["time"]


def test_idle_connections_do_not_turn_requests_away(service, rows):
    """Connections are not limited (requests are): 40 connections that send nothing, or a
    request head a byte at a time, leave the service answering everyone else."""
    host, port = service.url.removeprefix("http://").split(":")
    held = [socket.create_connection((host, int(port)), timeout=30) for _ in range(80)]
    for sock in held[40:]:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
    try:
        for _ in range(5):
            assert post(service.url, {"dataframe_records": records(rows.head(1))})[0] == 200
    finally:
        for sock in held:
            sock.close()
