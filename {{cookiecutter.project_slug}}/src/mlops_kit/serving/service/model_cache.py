"""The models a many-models service keeps loaded: each loaded on its first request, the least
recently used ones evicted beyond `max_models_mb`.

``Models.get(name)`` answers a loaded model at once (and marks it used). Otherwise it reads,
checks and unpickles the model's file in a loader thread (../many_models.py), so that the event
loop, /health and requests for loaded models go on meanwhile; concurrent requests for a model
being loaded wait for that one load. A model counts for its file's size (known before loading
it, so a model over the bound alone is refused unread, 507): the sizes of the kept models plus
those being loaded stay within the bound; a load that would not fit beside loads under way
waits for them. An evicted model's memory is freed once no request still scores with it. All
the bookkeeping runs on the event loop's thread, without locks.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlops_kit import common
from mlops_kit.serving import many_models
from mlops_kit.serving.many_models import Catalog, Loaded
from mlops_kit.serving.service.request_body import Refused


class ModelRefused(Refused):
    """A request for a model the service does not serve, or cannot load now."""

    def __init__(self, message: str, status: int, code: str, close: bool = False):
        super().__init__(message, status=status)
        self.code, self.close = code, close


def not_found(catalog: Catalog, name: str, close: bool = False) -> ModelRefused | None:
    """404 for a name that is no model of ``catalog`` (None for one that is)."""
    if name in catalog.models:
        return None
    reason = catalog.skipped.get(name)
    if reason is not None:
        message = f"model {many_models.shown(name)} was not trained: {reason[:120]}"
    else:
        message = f"no model is named {many_models.shown(name)} (GET /models lists them)"
    return ModelRefused(" ".join(message.split()), 404, "NOT_FOUND", close)


class Models:
    """The loaded models of ``catalog``, at most ``max_bytes`` of model files."""

    def __init__(self, catalog: Catalog, suite: dict[str, Any], max_bytes: int, threads: int):
        self.catalog, self.suite, self.max_bytes = catalog, suite, max_bytes
        self.cache: OrderedDict[str, Loaded] = OrderedDict()  # least recently used first
        self.loading: dict[str, asyncio.Future] = {}  # every load asked for and not done
        self.reading: dict[str, asyncio.Future] = {}  # those reading, their room taken
        self.kept = self.reserved = self.peak = self.loads = self.evictions = 0
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="load")

    async def get(self, name: str) -> Loaded:
        """The model ``name`` (one of the catalog's), loaded; marked most recently used."""
        found = self.cache.get(name)
        if found is not None:
            self.cache.move_to_end(name)
            return found
        future = self.loading.get(name)
        if future is None:
            future = self.loading[name] = asyncio.ensure_future(self.load(name))
            future.add_done_callback(lambda done: self.finished(name, done))
        return await asyncio.shield(future)

    def finished(self, name: str, done: asyncio.Future) -> None:
        self.loading.pop(name, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have timed out

    async def load(self, name: str) -> Loaded:
        loop = asyncio.get_running_loop()
        size = await loop.run_in_executor(self.pool, self.call, many_models.size_of, name)
        if size > self.max_bytes:
            raise ModelRefused(
                f"model {many_models.shown(name)} is {size / 2**20:.3g} MB, over "
                f"serve.max_models_mb ({self.max_bytes / 2**20:g} MB) alone; raise it to "
                "serve this model",
                507,
                "MODEL_TOO_LARGE",
            )
        await self.room(name, size)
        self.reserved += size
        self.reading[name] = self.loading[name]
        self.peak = max(self.peak, self.kept + self.reserved)
        try:
            found = await loop.run_in_executor(self.pool, self.call, many_models.load, name)
        finally:
            self.reserved -= size
            self.reading.pop(name, None)
        self.loads += 1
        self.evict(found.size)
        self.cache[name] = found
        self.kept += found.size
        self.peak = max(self.peak, self.kept + self.reserved)
        return found

    def call(self, job, name: str):
        """``job(catalog, name, ...)`` in a loader thread; a failure is a 503 naming it."""
        try:
            if job is many_models.load:
                return job(self.catalog, name, self.suite)
            return job(self.catalog, name)
        except common.UserError as exc:
            raise ModelRefused(str(exc), 503, "MODEL_UNAVAILABLE") from None

    async def room(self, name: str, size: int) -> None:
        """Evict until ``size`` more bytes fit; wait for loads under way when they hold it."""
        while True:
            self.evict(size)
            if self.kept + self.reserved + size <= self.max_bytes or not self.reading:
                return
            others = [future for other, future in self.reading.items() if other != name]
            await asyncio.wait(others, return_when=asyncio.FIRST_COMPLETED)

    def evict(self, size: int) -> None:
        """Drop the least recently used models until ``size`` more bytes fit (or none is left)."""
        while self.cache and self.kept + self.reserved + size > self.max_bytes:
            _, gone = self.cache.popitem(last=False)
            self.kept -= gone.size
            self.evictions += 1

    def state(self) -> dict[str, Any]:
        """What /health says of the models: how many, how many loaded and their bytes."""
        return {
            "served": len(self.catalog.models),
            "skipped": len(self.catalog.skipped),
            "loaded": len(self.cache),
            "loading": len(self.loading),
            "loaded_bytes": self.kept,
            "peak_bytes": self.peak,
            "max_bytes": self.max_bytes,
            "loads": self.loads,
            "evictions": self.evictions,
        }
