"""Optimizer runs: whole (`/api/run`) or streamed as NDJSON (`/api/run/stream`)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from functools import partial

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from app.api.errors_doc import ERRORS
from app.compute import admitted_json, compute, prepare
from app.cost import run_cost, stream_cost
from app.responses import SafeJSONResponse, dumps
from app.schemas.runs import RunRequest, RunResponse, header, run_out
from engine.details import run_details
from engine.run import Chunk, iterate_runs, run_many
from engine.theory import theory_block

router = APIRouter(prefix="/api", tags=["runs"])

STREAM_DOC = {200: {"content": {"application/x-ndjson": {"example": (
    '{"type":"meta","surface":{...},"start":[-4,2],"steps":200,"runs":[{"optimizer":{...}}],"theory":{...}}\n'
    '{"type":"chunk","run":0,"offset":0,"path":[[-4,2],...],"loss":[...],"grad_norm":[...],"lr":[...]}\n'
    '{"type":"done","runs":[{"status":"converged","steps_taken":200,"measured_rate":0.97}]}\n')}},
    "description": "NDJSON: a meta line, chunk lines in order per run (lr[k] is the lr of the update that "
                   "produced path[k], so a run's first chunk has one lr fewer), then a done (or error) line. "
                   "A stream that ends without a done or error line was cut off (a server fault or a broken "
                   "connection): treat what arrived as truncated, not as a finished run."}}


def _compute(body: RunRequest) -> dict:
    opts = [spec.optimizer for spec in body.optimizers]
    results = run_many(body.surface.surface, opts, body.start, body.steps,
                       body.schedule.schedule, body.noise.to_engine())
    theory = theory_block(body.surface.surface, opts, body.schedule.name, [r.path for r in results])
    runs = [run_out(s, r) for s, r in zip(body.optimizers, results, strict=True)]
    if body.details:
        noise = body.noise.to_engine().draws(body.steps, 2)
        for run, opt, result in zip(runs, opts, results, strict=True):
            run["details"] = run_details(body.surface.surface, opt, result.path, result.lr, noise)
    return {**header(body), "runs": runs, "theory": theory}


@router.post("/run", response_model=RunResponse, responses=ERRORS,
             summary="Run 1–12 optimizers from one start; paths, losses, gradient norms, lrs and theory")
async def run(body: RunRequest, request: Request) -> SafeJSONResponse:
    return await admitted_json(request, body, "run", run_cost, _compute, body)


@router.post("/run/stream", responses={**ERRORS, **STREAM_DOC}, response_class=StreamingResponse,
             summary="The same run streamed as NDJSON while it computes")
async def run_stream(body: RunRequest, request: Request) -> StreamingResponse:
    settings = request.app.state.settings
    ticket = await prepare(request, body, "run/stream", partial(stream_cost, chunk_steps=settings.stream_chunk_steps))
    opts = [spec.optimizer for spec in body.optimizers]
    stop = threading.Event()
    chunks = iterate_runs(body.surface.surface, opts, body.start, body.steps, body.schedule.schedule,
                          body.noise.to_engine(), chunk_steps=settings.stream_chunk_steps,
                          chunk_seconds=settings.stream_chunk_seconds, cancelled=stop.is_set)
    paths: list[list] = [[] for _ in opts]

    async def lines() -> AsyncIterator[bytes]:
        request.app.state.active_streams += 1
        try:
            meta = {"type": "meta", **header(body), "runs": [{"optimizer": s.describe()} for s in body.optimizers],
                    "theory": theory_block(body.surface.surface, opts, body.schedule.name)}
            yield dumps(meta) + b"\n"
            while True:
                item = await compute(next, chunks, None)
                if item is None:
                    break
                if isinstance(item, Chunk):
                    paths[item.run].append(item.path)
                    yield dumps({"type": "chunk", "run": item.run, "offset": item.offset, "path": item.path,
                                 "loss": item.loss, "grad_norm": item.grad_norm, "lr": item.lr,
                                 **item.aux}) + b"\n"
                else:
                    yield dumps({"type": "done", "runs": _with_rates(item, body, opts, paths)}) + b"\n"
        except Exception as exc:  # a failure midway is reported in-band: headers are already sent
            yield dumps({"type": "error", "detail": f"{type(exc).__name__}: {exc}"}) + b"\n"
        finally:
            stop.set()  # a disconnect cancels this generator: the engine stops at its next step
            request.app.state.active_streams -= 1
            ticket.release()

    # the background task releases the estimate too if the stream never starts (idempotent)
    return StreamingResponse(lines(), media_type="application/x-ndjson", background=BackgroundTask(ticket.release))


def _with_rates(final: list[dict], body: RunRequest, opts, paths: list[list]) -> list[dict]:
    joined = [np.concatenate(p) if p else np.empty((0, 2)) for p in paths]
    theory = theory_block(body.surface.surface, opts, body.schedule.name, joined)
    for entry, extra in zip(final, theory.get("runs", [{}] * len(final)), strict=True):
        if "measured_rate" in extra:
            entry["measured_rate"] = extra["measured_rate"]
    return final
