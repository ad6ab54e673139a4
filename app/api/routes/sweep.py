"""Sweeps: many trainings (or 2D runs) over a grid of settings and seeds, computed on Dask.

`POST /api/sweep` answers with every cell in row-major order; `/api/sweep/stream` sends a meta
line, one cell line per cell as it completes (any order) and a done line. Both carry `theory`:
for a 2D-run sweep over two hyperparameters of gd/momentum/nesterov on a constant-Hessian surface,
the block /api/phase gives for that grid (stability boundary curves in axis values, the optimum,
the predicted spectral radius per cell [y][x]); null otherwise. Validation and pricing
run before anything is submitted (422 naming the axis, the cell or the limit); a client that
disconnects cancels the tasks not finished yet. While the Dask cluster is starting (the first
sweep after the server starts, or `GET /api/sweep/cluster`), a sweep within one request's budget
(`max_request_seconds` of estimate) is computed in this process through the compute limiter, by
the same engine call (so the same numbers; meta.workers is then empty); a bigger one is answered
503 with Retry-After within about a second instead of waiting for the cluster.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.api.errors_doc import ERRORS
from app.compute import admit, compute
from app.errors import EngineInputError, engine_call
from app.responses import SafeJSONResponse, dumps
from app.schemas.sweep import Plan, SweepRequest, plan
from app.sweep.cluster import ClusterStarting
from app.sweep.runner import InlineRun, SweepRun, inline_seconds, run_inline

router = APIRouter(prefix="/api", tags=["sweep"])

CELL_DOC = ('{"index":[3,1],"values":{"optimizers.0.lr":0.0113,"optimizers.0.momentum":0.5},'
            '"seeds":[{"replicate":0,"final_loss":0.021,"best_loss":0.019,"accuracy":0.995,"status":"converged",'
            '"steps_to_target":143,"diverged_at":null,"seed_values":{"init":0,"data":0,"shuffle":0}}],'
            '"median_final_loss":0.024,"iqr_final_loss":[0.021,0.03],"median_accuracy":0.99,"diverged_fraction":0.0}')
SWEEP_DOC = {200: {"content": {"application/json": {"example": (
    '{"axes":[{"path":"optimizers.0.lr","values":[...]}],"cells":[' + CELL_DOC + ',...],'
    '"meta":{"cells":80,"trainings":400,"seconds":3.2,"tasks":12,"workers":["tcp://127.0.0.1:40123"]}}')}},
    "description": "every cell in row-major order of the axes, with per-seed results and aggregates"}}
STREAM_DOC = {200: {"content": {"application/x-ndjson": {"example": (
    '{"type":"meta","kind":"network","axes":[...],"cells":80,"trainings":400,"seeds":5,"tasks":12,"theory":null}\n'
    '{"type":"cell",' + CELL_DOC[1:] + '\n'
    '{"type":"done","meta":{"cells":80,"trainings":400,"seconds":3.2,"tasks":12,"workers":[...]}}\n')}},
    "description": "NDJSON: a meta line, one cell line per cell as it completes (any order), then a done line "
                   "(or an error line); a stream without a done line was cut off"}}


class ClusterStatus(BaseModel):
    ready: bool = Field(description="the Dask client is connected (a local cluster has started)")
    scheduler: str | None = Field(description="scheduler address (null until a local cluster has started)")
    workers: list[str] = Field(description="addresses of the connected workers")


@router.get("/sweep/cluster", response_model=ClusterStatus,
            summary="The Dask cluster behind sweeps; starts connecting (or the local cluster) in the background")
async def sweep_cluster(request: Request) -> SafeJSONResponse:
    cluster = request.app.state.sweeps
    cluster.warm()
    return SafeJSONResponse(await anyio.to_thread.run_sync(cluster.status))


async def _start(body: SweepRequest, request: Request) -> tuple[Plan, SweepRun]:
    limits = request.app.state.settings.limits
    prepared: Plan = await compute(engine_call, lambda: plan(body, limits))
    cluster = request.app.state.sweeps
    try:
        client = await anyio.to_thread.run_sync(cluster.ready_client)  # waits ≤ 1 s for a starting cluster
    except ClusterStarting:
        # while it starts, a sweep within one request's budget runs here like any other request; a
        # bigger one is the 503 + Retry-After (never a long wait)
        budget = request.app.state.settings.budget
        seconds = inline_seconds(prepared)
        if seconds > budget.max_request_seconds:
            raise
        ticket = admit(seconds, budget)
        began = time.perf_counter()
        try:
            results = await compute(engine_call, lambda: run_inline(prepared))
        finally:
            ticket.release()
        return prepared, InlineRun(prepared, results, began)
    return prepared, await anyio.to_thread.run_sync(lambda: SweepRun(client, prepared, cluster.n_workers()))


@router.post("/sweep", responses={**ERRORS, **SWEEP_DOC},
             summary="Train one configuration over a grid of 1–3 axes × seeds; per-cell medians, IQR, divergence")
async def sweep(body: SweepRequest, request: Request) -> SafeJSONResponse:
    prepared, run = await _start(body, request)
    try:
        cells = await anyio.to_thread.run_sync(run.all_cells, abandon_on_cancel=True)
    except RuntimeError as exc:
        raise EngineInputError(["body"], f"the sweep did not finish: {exc}") from exc
    finally:
        run.cancel()
    return SafeJSONResponse({"axes": prepared.axes, "cells": cells, "meta": run.meta(), "theory": prepared.theory})


@router.post("/sweep/stream", responses={**ERRORS, **STREAM_DOC}, response_class=StreamingResponse,
             summary="The same sweep streamed as NDJSON, cells as they complete")
async def sweep_stream(body: SweepRequest, request: Request) -> StreamingResponse:
    prepared, run = await _start(body, request)

    async def lines() -> AsyncIterator[bytes]:
        request.app.state.active_streams += 1
        try:
            yield dumps({"type": "meta", "kind": prepared.kind, "axes": prepared.axes, "cells": len(prepared.cells),
                         "trainings": len(prepared.jobs), "seeds": prepared.count, "vary": prepared.vary,
                         "tasks": len(run.tasks), "requests": prepared.requests[:1],
                         "theory": prepared.theory}) + b"\n"
            while True:
                cell = await anyio.to_thread.run_sync(run.next_cell, abandon_on_cancel=True)
                if cell is None:
                    break
                yield dumps({"type": "cell", **cell}) + b"\n"
            yield dumps({"type": "done", "meta": run.meta()}) + b"\n"
        except Exception as exc:  # a failure midway is reported in-band: headers are already sent
            yield dumps({"type": "error", "detail": f"{type(exc).__name__}: {exc}"}) + b"\n"
        finally:
            run.cancel()  # a disconnect cancels the Dask tasks not finished yet
            request.app.state.active_streams -= 1

    return StreamingResponse(lines(), media_type="application/x-ndjson")
