"""Property-based fuzzing of the real service: whatever a client sends, the answer is 200,
413, 415 or 422, short JSON, never a 500; and the service answers /health afterwards. So for
the many-models service, whatever model name the path holds (404 besides). A bounded number
of examples in the fast tier, many more in the slow one."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlops_kit.serving.service import request_body

from .conftest import ODD_NAMES
from .test_many_models import get_status
from .test_service import get, post
from .test_service import records as as_records

COLUMNS = ["size", "visits", "colour", "member"]
ALLOWED = {200, 413, 415, 422}
SHORT = 4096  # bytes of an answer, at most
FAST = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=3000)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["red", "green", "blue", "true", "False", "1e999", "NaN", "x" * 500])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
names = st.sampled_from([*COLUMNS, "extra", ""]) | st.text(max_size=10)
rows = st.dictionaries(names, values, max_size=6)
records = st.builds(lambda r: {"dataframe_records": r}, st.lists(rows, max_size=5))
split = st.builds(
    lambda cols, data, width: {
        "dataframe_split": {"columns": cols, "data": [d[:width] for d in data]}
    },
    st.lists(names, max_size=6),
    st.lists(st.lists(values, max_size=6), max_size=5),
    st.integers(0, 6),
)
well_formed_columns = st.builds(
    lambda data: {"dataframe_split": {"columns": COLUMNS, "data": data}},
    st.lists(st.lists(values, min_size=4, max_size=4), min_size=1, max_size=5),
)
bodies = (
    records
    | split
    | well_formed_columns
    | values.map(lambda v: {"dataframe_records": v})
    | values.map(lambda v: {"dataframe_split": v})
    | values
).map(lambda body: json.dumps(body).encode())
raw = st.binary(max_size=300) | st.sampled_from(
    [b"[" * 100_000, b'{"dataframe_records": [' + b"{}," * 50_000 + b"{}]}", b"\xff\xfe{"]
)


def ask(url: str, body: bytes, path: str = "/invocations") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url + path, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def check(url: str, body: bytes, path: str = "/invocations", allowed=ALLOWED) -> None:
    status, kind, answer = ask(url, body, path)
    assert status in allowed, (status, answer[:300])
    assert kind == "application/json"
    found = json.loads(answer)
    if status != 200:
        assert len(answer) < SHORT, answer[:300]
        assert "\n" not in found["message"]


def fuzz(service, body: bytes) -> None:
    check(service.url, body)


@FAST
@given(body=bodies | raw)
def test_any_body_gets_a_4xx_or_200_never_a_500(service, body):
    fuzz(service, body)


@pytest.mark.slow
@SLOW
@given(body=bodies | raw)
def test_many_more_bodies_never_get_a_500(service, body):
    fuzz(service, body)


def test_the_service_still_answers_after_the_fuzzing(service):
    assert get(service.url, "/health")["status"] == "ok"


model_names = st.sampled_from(["store-0000", "store-0001", "store-tiny", *ODD_NAMES]) | st.text(
    max_size=20
)
quoted = st.builds(
    lambda name, safe: urllib.parse.quote(name, safe=safe), model_names, st.sampled_from(["", "/"])
)


@FAST
@given(name=quoted, body=bodies | raw)
def test_any_model_name_and_body_get_a_4xx_or_200_never_a_500(many_service, name, body):
    check(many_service.url, body, f"/models/{name}/invocations", ALLOWED | {404})


@pytest.mark.slow
@SLOW
@given(name=quoted, body=bodies | raw)
def test_many_more_model_names_and_bodies_never_get_a_500(many_service, name, body):
    check(many_service.url, body, f"/models/{name}/invocations", ALLOWED | {404})


@FAST
@given(query=st.text(max_size=20), value=st.text(max_size=20), name=quoted)
def test_any_listing_or_metadata_query_gets_a_4xx_or_200(many_service, query, value, name):
    for path in (
        f"/models?limit={urllib.parse.quote(value)}",
        f"/models?after={urllib.parse.quote(query, safe='&=?/')}",
    ):
        status, _ = get_status(many_service.url, path)
        assert status in {200, 422}
    assert get_status(many_service.url, f"/models/{name}/metadata")[0] in {200, 404}


def test_the_many_models_service_still_answers_after_the_fuzzing(many_service):
    assert get(many_service.url, "/health")["models"]["served"] == 30


def decoded(text: bytes, piecewise: int):
    try:
        return json.dumps(request_body.parse(text, piecewise))  # NaN == NaN once as text
    except request_body.Refused as exc:
        return f"refused: {exc}"[:40]


texts = st.builds(
    lambda value, indent, cut, extra: json.dumps(value, indent=indent).encode()[cut:] + extra,
    values,
    st.none() | st.integers(0, 3),
    st.integers(0, 2),
    st.sampled_from([b"", b" ", b",", b"]", b"}", b" x", b'\n"a"']),
)


@FAST
@given(text=texts | raw)
def test_a_large_body_read_a_row_at_a_time_is_what_json_reads(text):
    # bodies over request_body.PIECEWISE bytes: the same value, or a refusal, as json.loads
    whole, piecewise = decoded(text, len(text)), decoded(text, 0)
    assert piecewise == whole or (piecewise + whole).count("refused") == 2, (whole, piecewise)


def test_a_body_over_the_piecewise_size_is_scored_the_same(service, rows):
    few = as_records(rows)
    many = few * (request_body.PIECEWISE // len(json.dumps(few)) + 1)
    status, answer = post(service.url, {"dataframe_records": many})
    assert status == 200
    expected = post(service.url, {"dataframe_records": few})[1]["predictions"]
    assert answer["predictions"] == expected * (len(many) // len(few))
