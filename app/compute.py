"""Off-loop computation with a bounded number of workers.

Every CPU-heavy call goes through `compute` / `compute_json`: it runs in a worker thread, so the
event loop stays free, and a shared limiter admits about as many calls at once as there are
cores. Without the limiter anyio's 40 default threads all fight for the GIL and the cores, which
slows every request (health checks included) and multiplies memory. `compute_json` also
serializes the result in the worker, so a large body is never encoded on the event loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
from fastapi import Response

from app.responses import SafeJSONResponse, dumps

_limiter: anyio.CapacityLimiter | None = None


def _workers() -> int:
    return int(os.environ.get("LOSSLAB_WORKERS", "0")) or max(2, os.cpu_count() or 2)


def limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # created lazily: a CapacityLimiter needs a running event loop
        _limiter = anyio.CapacityLimiter(_workers())
    return _limiter


async def compute(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=limiter())


async def compute_json(fn: Callable[..., Any], *args: Any) -> Response:
    body = await compute(lambda: dumps(fn(*args)))
    return Response(content=body, media_type=SafeJSONResponse.media_type)
