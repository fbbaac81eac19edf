"""How uvicorn runs the service: a timeout on request heads, keep-alive, and --workers.

uvicorn closes an idle kept-alive connection after `timeout_keep_alive` but has no timeout
for a request head: a client that connects and sends nothing, or a header a byte a second,
would hold its connection for ever. ``Protocol`` (uvicorn's h11 protocol) closes a connection
whose request head is not complete within `header_timeout_s` of its first byte, or of the
connection. There is no limit on connections: requests, not connections, wait for a scoring
slot (app.py).

With `--workers N` uvicorn's Multiprocess supervisor starts N processes on the socket bound
here; each builds the application from the state the parent wrote (``worker_app``).
``Guard`` is the application's last resort: an unexpected error becomes a 500 naming a request
id, and one line in the log.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import uuid
from pathlib import Path
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

STATE = "MLOPS_KIT_SERVE_STATE"  # the path of the pickled state, for the workers
logger = logging.getLogger("uvicorn.error")


class Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head takes longer than
    the config's ``header_timeout`` seconds."""

    head_timer = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.arm()

    def data_received(self, data: bytes) -> None:
        if self.head_timer is None and self.conn.their_state is h11.IDLE:
            self.arm()  # a new request begins on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self.disarm()  # the head is complete

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)

    def arm(self) -> None:
        self.disarm()
        self.head_timer = self.loop.call_later(self.config.header_timeout, self.too_slow)

    def disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def too_slow(self) -> None:
        self.head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def config(app: Any, limits, workers: int = 1):
    import uvicorn

    found = uvicorn.Config(
        app,
        http=Protocol,
        factory=isinstance(app, str),
        workers=workers,
        log_level="warning",
        timeout_keep_alive=limits.keep_alive_s,
        timeout_graceful_shutdown=limits.timeout_s,
    )
    found.header_timeout = limits.header_timeout_s  # read by Protocol, pickled to the workers
    return found


def run(state: dict[str, Any], sock, workers: int) -> None:
    """Serve ``build(state)`` on ``sock`` in this process, or in ``workers``
    processes."""
    import uvicorn

    if workers == 1:
        app = build(state)
        uvicorn.Server(config(app, state["limits"])).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    handle, path = tempfile.mkstemp(prefix="serve-", suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(state, out)
        os.environ[STATE] = path
        found = config(f"{__name__}:worker_app", state["limits"], workers)
        Multiprocess(found, sockets=[sock]).run()
    finally:
        Path(path).unlink(missing_ok=True)


def worker_app():
    """The application of one worker process, from the state its parent wrote."""
    return build(pickle.loads(Path(os.environ[STATE]).read_bytes()))


def build(state: dict[str, Any]):
    """The application of ``state``: one model's (app.py), or a catalog's (many_app.py)."""
    if "catalog" in state:
        from mlops_kit.serving.service import many_app

        return many_app.create_app(**state)
    from mlops_kit.serving.service import app as service

    return service.create_app(**state)


class Guard:
    """The last resort: an unexpected error is one log line and a 500 naming a request id,
    never a traceback to the client."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            request_id = uuid.uuid4().hex
            logger.error("request %s failed: %s: %.200s", request_id, type(exc).__name__, exc)
            if started or scope["type"] != "http":
                return
            body = {"error_code": "INTERNAL_ERROR", "request_id": request_id}
            body["message"] = f"an unexpected error (request {request_id} in the service's log)"
            from starlette.responses import JSONResponse

            await JSONResponse(body, 500)(scope, receive, send)
