"""The service's request body: its type, size and deadline checked as it is read, then its
rows as a frame of the model's columns, every value a JSON scalar.

A request that breaks a rule is refused with its own status and a one-line message, values
from the request cut to a few dozen characters: 415 (not UTF-8 JSON by its Content-Type), 413
(over `max_body_mb`, or over `max_rows` rows), 408 (the body not read within
`body_timeout_s`), 422 (not the JSON of MLflow's scoring server).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from mlops_kit.serving.service import piecewise_json

SHOWN = 40  # characters of a request's value shown in a message
SCALARS = (str, float, bool, type(None))
WIDEST = 2**63  # whole numbers beyond int64 are refused
PIECEWISE = 2**20  # bodies over this many bytes are parsed a row at a time


class Refused(Exception):
    """A request the service refuses: ``status`` with ``message`` and the ``errors`` found."""

    def __init__(self, message: str, errors=None, status: int = 422, headers=None):
        super().__init__(message)
        self.errors, self.status, self.headers = errors or [], status, headers or {}


def BadRequest(message: str, errors: list[dict[str, Any]] | None = None) -> Refused:  # noqa: N802
    return Refused(message, errors)


def cut(value: Any) -> str:
    """``value`` as text, at most SHOWN characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def media_type(headers) -> None:
    """415 unless the Content-Type is application/json, in UTF-8 if it names a charset."""
    media, _, parameters = headers.get("content-type", "").partition(";")
    if media.strip().lower() != "application/json":
        said = f"not {cut(media.strip())}" if media.strip() else "no Content-Type was sent"
        raise Refused(f"send the rows as application/json ({said})", status=415)
    for part in parameters.split(";"):
        key, _, value = part.partition("=")
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise Refused(f"send the JSON in UTF-8, not charset {cut(charset)}", status=415)


def too_large(limit: int) -> Refused:
    return Refused(
        f"the request body is over {limit / 2**20:g} MB (serve.max_body_mb); send fewer rows",
        status=413,
    )


async def read(request, max_body: int, timeout: float) -> bytes:
    """The body of ``request``, refused by its Content-Length before reading when that is
    over ``max_body`` bytes, and as soon as what arrived is; 408 beyond ``timeout`` seconds."""
    from starlette.requests import ClientDisconnect

    media_type(request.headers)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_body:
        raise too_large(max_body)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_body:
                    raise too_large(max_body)
                chunks.append(chunk)
    except TimeoutError:
        message = f"the request body took over {timeout:g} s to arrive (serve.body_timeout_s)"
        raise Refused(message, status=408) from None
    except ClientDisconnect:
        raise Refused(
            "the client closed the connection before sending the body", status=400
        ) from None
    return b"".join(chunks)


def parse(body: bytes, piecewise: int = PIECEWISE) -> Any:
    """The JSON of ``body``; over ``piecewise`` bytes an outer item at a time (a row), so that
    the event loop's thread gets its turn between rows (json.loads of 20 MB holds it 0.25 s)."""
    if not body.strip():
        raise BadRequest("the request body is empty; send dataframe_records or dataframe_split")
    try:
        text = body.decode("utf-8")
        if len(body) <= piecewise:
            return json.loads(text)
        return piecewise_json.loads(text)
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8") from None
    except RecursionError:
        raise BadRequest("the request body is JSON nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"the request body is not JSON: {cut(exc)}") from None


def scalars(values: list[Any], column: str, where: str) -> list[Any]:
    """``values``, refused at the first that is a list or object, or a whole number beyond
    int64 (a JSON scalar is text, a number, true, false or null)."""
    for row, value in enumerate(values):
        kind = type(value)
        if kind is int:
            if -WIDEST <= value < WIDEST:
                continue
            says = "is a whole number too large to score"
        elif kind in SCALARS:
            continue
        else:
            says = f"is {'a list' if kind is list else 'an object'}, not a single value"
        message = f"{where}[{row}], column {cut(column)!r}: the value {says}"
        error = {"loc": [where, row, column], "column": column, "rule": "scalar", "msg": message}
        raise BadRequest(message, [error])
    return values


def frame_of(body: bytes, names: list[str], max_rows: int):
    """(the model's columns ``names`` of the rows in ``body``, as a frame; where they came
    from). A column is missing when no row has it; a row without it holds null there."""
    import pandas as pd

    data = parse(body)
    keys = set(data) & {"dataframe_records", "dataframe_split"} if isinstance(data, dict) else ()
    if len(keys) != 1:
        raise BadRequest("send a JSON object with one of dataframe_records, dataframe_split")
    if "dataframe_records" in keys:
        where, records = "dataframe_records", data["dataframe_records"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise BadRequest("dataframe_records must be a list of {column: value} objects")
        size = count(records, where, max_rows)
        given = {name for record in records for name in record}
        columns = {
            name: scalars([r.get(name) for r in records], name, where)
            for name in names
            if name in given
        }
    else:
        split, where = data["dataframe_split"], "dataframe_split.data"
        if not isinstance(split, dict) or not isinstance(split.get("columns"), list):
            raise BadRequest("dataframe_split must be {columns: [...], data: [[...], ...]}")
        given, rows = split["columns"], split.get("data")
        if not all(isinstance(name, str) for name in given):
            raise BadRequest("dataframe_split.columns must be column names (text)")
        if not isinstance(rows, list) or any(
            not isinstance(r, list) or len(r) != len(given) for r in rows
        ):
            raise BadRequest(f"dataframe_split.data must be rows of {len(given)} values each")
        if len(set(given)) != len(given):
            raise BadRequest("dataframe_split.columns names a column twice")
        size = count(rows, where, max_rows)
        at = {name: number for number, name in enumerate(given)}
        columns = {
            name: scalars([r[at[name]] for r in rows], name, where) for name in names if name in at
        }
    return pd.DataFrame(columns, index=pd.RangeIndex(size)), where


def count(rows: list[Any], where: str, max_rows: int) -> int:
    """The number of ``rows``: 413 above ``max_rows``, 422 with none."""
    if not rows:
        raise BadRequest(f"{where} holds no rows to score")
    if len(rows) > max_rows:
        message = f"{where} holds {len(rows)} rows, over {max_rows} (serve.max_rows); send fewer"
        raise Refused(message, status=413)
    return len(rows)
