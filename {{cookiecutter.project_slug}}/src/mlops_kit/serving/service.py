"""The model as a FastAPI application, speaking the JSON of MLflow's scoring server.

POST /invocations takes `{"dataframe_records": [{column: value, ...}, ...]}` or
`{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` and answers
`{"predictions": [...]}`; rows that break the suite's rules (rules.py) get a 422 naming the
row, the column and the rule. GET /health, and GET /metadata: the model's lineage.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mlops_kit.serving import input_rules, predict, request_schema

MAX_ERRORS = 20


class Predictions(BaseModel):
    predictions: list[Any]


class Refusal(BaseModel):
    error_code: str
    message: str
    errors: list[dict[str, Any]]


class BadRequest(Exception):
    """A request the service refuses: 422 with ``message`` and the ``errors`` found."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.errors = errors or []


def frame_of(body: bytes):
    """The rows of a request body, with where each one came from."""
    import pandas as pd

    if not body.strip():
        raise BadRequest("the request body is empty; send dataframe_records or dataframe_split")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"the request body is not JSON: {exc}") from None
    keys = set(data) & {"dataframe_records", "dataframe_split"} if isinstance(data, dict) else ()
    if len(keys) != 1:
        raise BadRequest("send a JSON object with one of dataframe_records, dataframe_split")
    if "dataframe_records" in keys:
        records = data["dataframe_records"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise BadRequest("dataframe_records must be a list of {column: value} objects")
        return pd.DataFrame.from_records(records), "dataframe_records"
    split = data["dataframe_split"]
    if not isinstance(split, dict) or not isinstance(split.get("columns"), list):
        raise BadRequest("dataframe_split must be {columns: [...], data: [[...], ...]}")
    columns, rows = split["columns"], split.get("data")
    if not isinstance(rows, list) or any(
        not isinstance(r, list) or len(r) != len(columns) for r in rows
    ):
        raise BadRequest(f"dataframe_split.data must be rows of {len(columns)} values each")
    if len(set(map(str, columns))) != len(columns):
        raise BadRequest("dataframe_split.columns names a column twice")
    return pd.DataFrame(rows, columns=list(map(str, columns)), dtype=object), "dataframe_split.data"


def refusal(problems: list[input_rules.Problem], where: str) -> BadRequest:
    errors = [
        {
            "loc": [where, p.row, p.column] if p.row is not None else [where, p.column],
            "column": p.column,
            "rule": p.rule,
            "msg": input_rules.describe(p, f"{where}[{p.row}]"),
        }
        for p in problems[:MAX_ERRORS]
    ]
    more = len(problems) - 1 if problems[0].rule != input_rules.COLUMNS else 0
    message = input_rules.headline(problems, f"{where}[{problems[0].row}]")
    return BadRequest(message + (f" (and {more} more)" if more else ""), errors)


class PredictionLog:
    """JSON lines, one per answered request: what monitoring reads."""

    def __init__(self, path: str | Path | None):
        self.path, self.lock = (Path(path) if path else None), threading.Lock()

    def write(self, **entry: Any) -> None:
        if self.path is None:
            return
        line = json.dumps(entry, default=str, ensure_ascii=False)
        with self.lock, self.path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")


def create_app(model, checks: list[input_rules.Column], record: dict[str, Any], log=None):
    """The FastAPI application serving ``model``, whose lineage is ``record``."""
    version = record.get("release") or f"md5:{record['model']['md5']}"
    app = FastAPI(title="Model service", version=version, description=__doc__)
    log = PredictionLog(log)
    about = {k: v for k, v in record.items() if k != "suite"}
    about["features"] = [{"name": c.name, "type": c.kind, "nullable": c.nullable} for c in checks]

    @app.exception_handler(BadRequest)
    async def refused(request, exc: BadRequest):
        body = {"error_code": "BAD_REQUEST", "message": str(exc), "errors": exc.errors}
        return JSONResponse(body, status_code=422)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_version": version}

    @app.get("/metadata")
    def lineage_of() -> dict[str, Any]:
        return {"model_version": version, **about}

    body_schema = {"$ref": "#/components/schemas/Invocation"}
    extra = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}
    }

    @app.post(
        "/invocations",
        openapi_extra=extra,
        response_model=Predictions,
        responses={422: {"model": Refusal}},
    )
    async def invocations(request: Request):
        frame, where = frame_of(await request.body())
        if frame.empty:
            raise BadRequest(f"{where} holds no rows to score")
        clean, problems = input_rules.check(frame, checks)
        if problems:
            raise refusal(problems, where)
        try:
            # Scored on the event loop's own thread: a one-row answer takes milliseconds, and
            # a hop to a worker thread and back cost more than that (BENCHMARKS.md).
            scored = predict.score(model, clean, False)
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"the model cannot score these rows: {exc}") from None
        predictions = scored["prediction"].tolist()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        log.write(
            request_id=request_id,
            time=datetime.now(UTC).isoformat(),
            model_version=version,
            inputs=json.loads(frame.to_json(orient="records")),
            outputs=predictions,
        )
        return JSONResponse({"predictions": predictions}, headers={"x-request-id": request_id})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            found = get_openapi(title=app.title, version=app.version, routes=app.routes)
            found.setdefault("components", {}).setdefault("schemas", {}).update(
                request_schema.components(checks)
            )
            app.openapi_schema = found
        return app.openapi_schema

    app.openapi = openapi
    return app
