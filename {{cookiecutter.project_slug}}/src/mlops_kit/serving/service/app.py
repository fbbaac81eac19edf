"""The model as a FastAPI application, speaking the JSON of MLflow's scoring server.

POST /invocations takes `{"dataframe_records": [{column: value, ...}, ...]}` or
`{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` as application/json and
answers `{"predictions": [...]}`; rows that break the suite's rules (../input_checks.py) get a
422 naming the row, the column and the rule; the body's own limits are in request_body.py. GET
(or HEAD) /health, /metadata (the model's lineage), /openapi.json; /docs only with `--docs`.

At most `max_concurrent` requests are scored at once and `max_queue` more wait for a slot; a
request beyond them gets 503 with Retry-After, and one not answered within `timeout_s` 504
(its scoring runs on, unseen, holding its slot). Requests of up to INLINE_ROWS rows are scored
on the event loop's thread (a hop to a thread and back costs more than one row's scoring,
BENCHMARKS.md); larger ones in a worker thread, so /health answers while they are scored.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mlops_kit.serving import input_checks, input_rules, predict
from mlops_kit.serving.service import request_body, request_schema
from mlops_kit.serving.service.limits import Limits
from mlops_kit.serving.service.prediction_log import PredictionLog
from mlops_kit.serving.service.protocol import Guard
from mlops_kit.serving.service.request_body import BadRequest, Refused

MAX_ERRORS = 10
INLINE_ROWS, INLINE_BYTES = 100, 64 * 1024
CLOSING = {408, 413, 415, 503}  # refused before the body was read: the connection is closed


class Predictions(BaseModel):
    predictions: list[Any]


class Refusal(BaseModel):
    error_code: str
    message: str
    errors: list[dict[str, Any]]


def refusal(problems: list[input_rules.Problem], where: str) -> Refused:
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


class Gate:
    """Scoring slots: ``max_concurrent`` at once, ``max_queue`` more waiting."""

    def __init__(self, limits: Limits):
        self.limits, self.admitted = limits, 0
        self.slots: asyncio.Semaphore | None = None
        self.pool = ThreadPoolExecutor(limits.max_concurrent, thread_name_prefix="score")

    def admit(self) -> None:
        if self.admitted >= self.limits.max_concurrent + self.limits.max_queue:
            message = f"{self.admitted} requests are being scored or waiting; retry shortly"
            raise Refused(message, status=503, headers={"Retry-After": "1"})
        self.admitted += 1

    def leave(self, *_: Any) -> None:
        self.admitted -= 1

    async def run(self, job, threaded: bool, deadline: float | None = None) -> Any:
        """``job()`` in a slot, by ``deadline`` (default: ``timeout_s`` from now); leaves."""
        self.slots = self.slots or asyncio.Semaphore(self.limits.max_concurrent)
        late = Refused(
            f"not answered within {self.limits.timeout_s:g} s (serve.timeout_s); "
            "send fewer rows, or retry later",
            status=504,
        )
        loop = asyncio.get_running_loop()
        deadline = deadline or loop.time() + self.limits.timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                await self.slots.acquire()
        except TimeoutError:
            self.leave()
            raise late from None
        if not threaded:
            try:
                return job()
            finally:
                self.slots.release()
                self.leave()
        future = loop.run_in_executor(self.pool, job)
        future.add_done_callback(lambda _: (self.slots.release(), self.leave()))
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(future)
        except TimeoutError:
            raise late from None


def create_app(model, checks, record: dict[str, Any], log=None, limits=None, docs=False):
    """The FastAPI application serving ``model``, whose lineage is ``record``."""
    limits = limits or Limits()
    version = record.get("release") or f"md5:{record['model']['md5']}"
    shown = {"docs_url": "/docs" if docs else None, "redoc_url": None}
    app = FastAPI(title="Model service", version=version, description=__doc__, **shown)
    log, gate = PredictionLog(log, limits.log_max), Gate(limits)
    names = [c.name for c in checks]
    about = {k: v for k, v in record.items() if k != "suite"}
    about["features"] = [{"name": c.name, "type": c.kind, "nullable": c.nullable} for c in checks]
    app.add_middleware(Guard)

    @app.exception_handler(Refused)
    async def refused(request, exc: Refused):
        code = {413: "TOO_LARGE", 503: "BUSY", 504: "TIMEOUT", 415: "UNSUPPORTED_MEDIA_TYPE"}
        body = {"error_code": code.get(exc.status, "BAD_REQUEST"), "message": str(exc)}
        headers = {**exc.headers, **({"Connection": "close"} if exc.status in CLOSING else {})}
        return JSONResponse({**body, "errors": exc.errors}, exc.status, headers)

    @app.api_route("/health", methods=["GET", "HEAD"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "model_version": version}

    @app.api_route("/metadata", methods=["GET", "HEAD"])
    async def lineage_of() -> dict[str, Any]:
        return {"model_version": version, **about}

    def score(frame, where: str, request_id: str) -> list[Any]:
        clean, problems = input_checks.check(frame, checks)
        if problems:
            raise refusal(problems, where)
        try:
            predictions = predict.labels(model, clean)
        except (ValueError, TypeError) as exc:
            raise BadRequest(
                f"the model cannot score these rows: {request_body.cut(exc)}"
            ) from None
        inputs = clean.to_json(orient="records") if log.path else "[]"
        log.write(
            request_id=request_id,
            time=datetime.now(UTC).isoformat(),
            model_version=version,
            inputs=json.loads(inputs),
            outputs=predictions,
        )
        return predictions

    body_schema = {"$ref": "#/components/schemas/Invocation"}
    extra = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}
    }
    answers = {code: {"model": Refusal} for code in (408, 413, 415, 422, 503, 504)}

    @app.post("/invocations", openapi_extra=extra, response_model=Predictions, responses=answers)
    async def invocations(request: Request):
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        gate.admit()
        try:
            body = await request_body.read(request, limits.max_body, limits.body_timeout_s)
        except BaseException:
            gate.leave()
            raise
        if len(body) <= INLINE_BYTES:
            try:
                frame, where = request_body.frame_of(body, names, limits.max_rows)
            except BaseException:
                gate.leave()
                raise
            threaded = len(frame) > INLINE_ROWS
            predictions = await gate.run(lambda: score(frame, where, request_id), threaded)
        else:
            parsed = lambda: request_body.frame_of(body, names, limits.max_rows)  # noqa: E731
            predictions = await gate.run(lambda: score(*parsed(), request_id), True)
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
