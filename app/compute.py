"""Off-loop computation with a bounded number of workers, and a bounded queue in front of them.

Every CPU-heavy call goes through `compute` / `compute_json`: it runs in a worker thread, so the
event loop stays free, and a shared limiter admits about as many calls at once as there are
cores. Without the limiter anyio's 40 default threads all fight for the GIL and the cores, which
slows every request (health checks included) and multiplies memory. `compute_json` also
serializes the result in the worker, so a large body is never encoded on the event loop.

Back-pressure: every request is priced before it runs (app/cost.py) and admitted against the
backlog, the estimated seconds of work already admitted and not finished (a stream's counts until
it ends). When that backlog would keep a new request waiting more than `max_queue_seconds` (per
worker), the answer is an immediate 503 with `Retry-After`, never a long wait or a timeout.
(The limiter's free tokens cannot tell: a request admitted a moment ago may not hold one yet.)

`prepare` is the one path of a request into the workers: cheap limits (already checked by the
route), then formulas compiled in a worker (a bad one is a 422 at [..., "surface", "expr"]),
then the estimate against the per-request budget (422), then admission (503).
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
from fastapi import Request, Response

from app.errors import Busy, EngineInputError
from app.responses import SafeJSONResponse, dumps
from app.settings import Budget, get_settings

_limiter: anyio.CapacityLimiter | None = None


def _workers() -> int:
    return get_settings().workers or _cores()


@functools.cache
def _cores() -> int:
    # os.cpu_count reads /sys on every call (~0.1 ms here), and admit() asks on every request
    return max(2, os.cpu_count() or 2)


def limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # created lazily: a CapacityLimiter needs a running event loop
        _limiter = anyio.CapacityLimiter(_workers())
    return _limiter


async def compute(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=limiter())


async def compute_abandonable(fn: Callable[..., Any], *args: Any) -> Any:
    """`compute`, but a cancelled caller does not wait for the thread (background work such as warm-ups)."""
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=limiter(), abandon_on_cancel=True)


async def compute_json(fn: Callable[..., Any], *args: Any) -> Response:
    body = await compute(lambda: dumps(fn(*args)))
    return Response(content=body, media_type=SafeJSONResponse.media_type)


# ---- back-pressure ----------------------------------------------------------------------------

class Ticket:
    """Admitted work: its estimate counts in the backlog until `release()` (idempotent)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._released = False

    def release(self) -> None:
        global _backlog
        with _lock:
            if not self._released:
                self._released = True
                _backlog = max(0.0, _backlog - self.seconds)


_backlog = 0.0  # estimated seconds of admitted, unfinished work
_lock = threading.Lock()


def backlog_seconds() -> float:
    return _backlog


def admit(seconds: float, limits: Budget) -> Ticket:
    """Count `seconds` of work in, or raise Busy when the queue ahead is already too long."""
    global _backlog
    workers = _workers()
    with _lock:
        wait = _backlog / workers
        if wait > limits.max_queue_seconds:
            raise Busy(min(120, max(1, math.ceil(wait - limits.max_queue_seconds + 1))), wait)
        _backlog += seconds
    return Ticket(seconds)


# ---- one path into the workers ------------------------------------------------------------------

def _compile(ref, field: str) -> None:
    from engine.surfaces.formula_limits import FormulaError

    try:
        ref.compile()
    except FormulaError as exc:
        raise EngineInputError(["body", field, "expr"], str(exc), kind="formula_error",
                               extra={"column": exc.column}) from None
    except ValueError as exc:
        raise EngineInputError(["body", field], str(exc)) from None


def surface_refs(body) -> list[tuple[str, Any]]:
    from app.schemas.common import SurfaceRefBase  # every member of the SurfaceRef union

    return [(name, ref) for name in type(body).model_fields
            if isinstance(ref := getattr(body, name, None), SurfaceRefBase)]


_FORMULA_COMPILER = "engine.surfaces.formula_compile"


def _formula_compiler():
    """engine.surfaces.formula_compile, imported for a formula only and in a worker: it imports sympy
    (~0.8 s), which the first request of every route paid on the event loop while this import stood
    at the top of compile_surfaces."""
    return importlib.import_module(_FORMULA_COMPILER)


async def compile_surfaces(body, limits: Budget) -> None:
    """Compile every formula of the body in a worker (admitted like any work: a formula not seen
    before is priced at `cost_compile_seconds`)."""
    for field, ref in surface_refs(body):
        if ref.compiled:
            continue
        # sympy's import happens once, in a worker; afterwards the module is at hand (no trip through the workers)
        compiler = sys.modules.get(_FORMULA_COMPILER) or await compute(_formula_compiler)
        is_cached = compiler.is_cached
        ticket = admit(0.0 if is_cached(ref.expr) else limits.cost_compile_seconds, limits)
        try:
            await compute(_compile, ref, field)
        finally:
            ticket.release()
        if getattr(body, "start", None) is not None:  # a default start read before compiling
            body.start = ref.fix_start(body.start)


async def prepare(request: Request, body, what: str, estimate: Callable[..., float] | None) -> Ticket:
    """Compile, price (`estimate(body, eval_cost, limits)`; 422 over budget) and admit (503)."""
    from app.cost import cached_surface_cost, check_budget, surface_cost

    limits: Budget = request.app.state.settings.budget
    await compile_surfaces(body, limits)
    seconds = 0.0
    if estimate is not None:
        refs = surface_refs(body)
        ev = None
        if refs:
            ref = refs[0][1]
            ev = cached_surface_cost(ref) or await compute(surface_cost, ref)
        seconds = estimate(body, ev, limits)
        check_budget(seconds, limits, what)
    return admit(seconds, limits)


async def admitted_json(request: Request, body, what: str, estimate: Callable[..., float] | None,
                        fn: Callable[..., Any], *args: Any) -> Response:
    """`prepare`, then `compute_json(fn, *args)`; the estimate leaves the backlog when it is done."""
    ticket = await prepare(request, body, what, estimate)
    try:
        return await compute_json(fn, *args)
    finally:
        ticket.release()
