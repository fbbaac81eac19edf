"""The models of a many-models project as one FastAPI application, each model at its own path.

POST /models/<name>/invocations takes the bodies of the single service's /invocations (MLflow's
`dataframe_records` or `dataframe_split`, app.py) and answers `{"predictions": [...]}` of the
model named <name>; GET (or HEAD) /models/<name>/metadata is that model's lineage (its entry of
reports/models.json, its version and input columns); GET /models lists the names, sorted, a page
at a time (`?limit=N`, at most 1000, and `?after=<the page's "next">`); /health also says how
many models are loaded and their bytes; /metadata is the project's (reports/models.json's md5,
commit, segment column, task, aggregate metrics).

<name> is the model's name percent-encoded as one path segment (every byte but letters, digits
and `-._~`: `urllib.parse.quote(name, safe="")`). The path is decoded before it is matched, so
a name may hold `/` (encoded or not: the name ends at the last `/invocations` or `/metadata`).
A name that is no model is 404 (NOT_FOUND); one the pipeline skipped (too few rows) 404 saying
why; a model whose file is over `max_models_mb` alone 507 (MODEL_TOO_LARGE); one whose file is
missing, is not the one reports/models.json records (md5) or does not load here 503
(MODEL_UNAVAILABLE). Models load on their first request (model_cache.py).

The limits are the single service's (app.py): the same body, rows, queue and slots, and 504
when a request is not answered within `timeout_s` of its body being read, its model's load
included (which goes on, unseen, and keeps the model).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.convertors import PathConvertor, register_url_convertor

from mlops_kit.modelcard import libraries
from mlops_kit.serving import input_checks, many_models, predict
from mlops_kit.serving.many_models import Catalog, Loaded
from mlops_kit.serving.service import app as single
from mlops_kit.serving.service import request_body
from mlops_kit.serving.service.limits import Limits
from mlops_kit.serving.service.model_cache import ModelRefused, Models, not_found
from mlops_kit.serving.service.prediction_log import PredictionLog
from mlops_kit.serving.service.protocol import Guard
from mlops_kit.serving.service.request_body import BadRequest, Refused


class AnyText(PathConvertor):
    """A path parameter of any text, `/` and line breaks included (starlette's `path`
    matches no line break)."""

    regex = "(?s:.*)"


register_url_convertor("anytext", AnyText())
PAGE, MOST_A_PAGE = 100, 1000
CODES = {413: "TOO_LARGE", 503: "BUSY", 504: "TIMEOUT", 415: "UNSUPPORTED_MEDIA_TYPE"}
BODY = {"type": "object", "description": "dataframe_records or dataframe_split, as /invocations"}


def page_of(names: list[str], query) -> dict[str, Any]:
    """A page of the sorted ``names``: ``limit`` of them, after the name ``after``."""
    limit = query.get("limit", str(PAGE))
    if not (limit.isascii() and limit.isdigit() and len(limit) < 5 and int(limit) >= 1):
        raise BadRequest(
            f"limit must be a whole number from 1 to {MOST_A_PAGE}, not {limit!r}"[:80]
        )
    size, after = min(int(limit), MOST_A_PAGE), query.get("after")
    start = 0 if after is None else bisect.bisect_right(names, after)
    found = names[start : start + size]
    more = start + size < len(names)
    return {"models": found, "next": found[-1] if more and found else None, "count": len(names)}


def create_app(catalog: Catalog, suite: dict[str, Any], log=None, limits=None, docs=False):
    """The FastAPI application serving each model of ``catalog`` at /models/<name>/."""
    limits = limits or Limits()
    version = f"md5:{catalog.about['report']['md5']}"  # reports/models.json's
    shown = {"docs_url": "/docs" if docs else None, "redoc_url": None}
    app = FastAPI(title="Model service (many models)", version=version, **shown)
    app.description = __doc__
    log, gate = PredictionLog(log, limits.log_max), single.Gate(limits)
    bound = int(limits.max_models_mb * 2**20)
    models = Models(catalog, suite, bound, limits.max_concurrent)
    project = {"model_version": version, **catalog.about, "libraries": libraries.installed()}
    project.update(models=len(catalog.models), skipped=len(catalog.skipped))
    app.add_middleware(Guard)

    @app.exception_handler(Refused)
    async def refused(request, exc: Refused):
        code = getattr(exc, "code", None) or CODES.get(exc.status, "BAD_REQUEST")
        close = exc.status in single.CLOSING or getattr(exc, "close", False)
        headers = {**exc.headers, **({"Connection": "close"} if close else {})}
        body = {"error_code": code, "message": str(exc), "errors": exc.errors}
        return JSONResponse(body, exc.status, headers)

    @app.api_route("/health", methods=["GET", "HEAD"])
    async def health() -> dict[str, Any]:
        state = {"models": models.state(), "requests": gate.admitted}  # scored or waiting
        return {"status": "ok", "model_version": version, **state}

    @app.api_route("/metadata", methods=["GET", "HEAD"])
    async def lineage_of() -> dict[str, Any]:
        return project

    @app.api_route("/models", methods=["GET", "HEAD"])
    async def listing(request: Request) -> dict[str, Any]:
        return {**page_of(catalog.names, request.query_params), "skipped": len(catalog.skipped)}

    @app.post("/invocations", include_in_schema=False)
    async def not_here() -> None:
        message = "this service serves many models: POST /models/<name>/invocations"
        raise ModelRefused(message, 404, "NOT_FOUND", close=True)

    async def obtain(name: str, deadline: float) -> Loaded:
        try:
            async with asyncio.timeout_at(deadline):
                return await models.get(name)
        except TimeoutError:
            raise Refused(
                f"not answered within {limits.timeout_s:g} s (serve.timeout_s): the model is "
                "still loading; retry shortly",
                status=504,
            ) from None

    @app.api_route("/models/{name:anytext}/metadata", methods=["GET", "HEAD"])
    async def model_lineage(name: str) -> dict[str, Any]:
        missing = not_found(catalog, name)
        if missing is not None:
            raise missing
        gate.admit()
        try:
            found = await obtain(name, asyncio.get_running_loop().time() + limits.timeout_s)
        finally:
            gate.leave()
        about = {"model_version": found.version, **many_models.lineage_of(catalog, name)}
        columns = [{"name": c.name, "type": c.kind, "nullable": c.nullable} for c in found.checks]
        return {**about, "size_bytes": found.size, "features": columns}

    def score(found: Loaded, name: str, request_id: str, frame, where: str) -> list[Any]:
        clean, problems = input_checks.check(frame, found.checks)
        if problems:
            raise single.refusal(problems, where)
        try:
            predictions = predict.labels(found.model, clean)
        except (ValueError, TypeError) as exc:
            raise BadRequest(
                f"the model cannot score these rows: {request_body.cut(exc)}"
            ) from None
        inputs = clean.to_json(orient="records") if log.path else "[]"
        log.write(
            request_id=request_id,
            time=datetime.now(UTC).isoformat(),
            model=name,
            model_version=found.version,
            inputs=json.loads(inputs),
            outputs=predictions,
        )
        return predictions

    content = {"application/json": dict(schema=BODY)}
    extra = {"requestBody": dict(required=True, content=content)}
    answers = {code: {"model": single.Refusal} for code in (404, 408, 413, 415, 422, 503, 504, 507)}

    @app.post(
        "/models/{name:anytext}/invocations",
        openapi_extra=extra,
        response_model=single.Predictions,
        responses=answers,
    )
    async def invocations(name: str, request: Request):
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        missing = not_found(catalog, name, close=True)  # its body unread: the connection closes
        if missing is not None:
            raise missing
        gate.admit()
        try:
            body = await request_body.read(request, limits.max_body, limits.body_timeout_s)
            deadline = asyncio.get_running_loop().time() + limits.timeout_s
            found = await obtain(name, deadline)
            names = [c.name for c in found.checks]
            if len(body) <= single.INLINE_BYTES:
                frame, where = request_body.frame_of(body, names, limits.max_rows)
        except BaseException:
            gate.leave()
            raise
        if len(body) <= single.INLINE_BYTES:
            job = lambda: score(found, name, request_id, frame, where)  # noqa: E731
            threaded = len(frame) > single.INLINE_ROWS
        else:
            job = lambda: score(found, name, request_id, *parsed())  # noqa: E731
            parsed = lambda: request_body.frame_of(body, names, limits.max_rows)  # noqa: E731
            threaded = True
        predictions = await gate.run(job, threaded, deadline)
        return JSONResponse({"predictions": predictions}, headers={"x-request-id": request_id})

    app.state.models = models
    return app
