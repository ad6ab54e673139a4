"""Small networks: training several optimizers, the landscape plane and decision boundaries.

`POST /api/network/train` returns everything at once; `/api/network/train/stream` sends the
same numbers as NDJSON while training runs (meta, chunk lines per run, then a done line
with the plane and decision grids). Limits and the work bound are checked before anything
runs (422); numerics live in engine.nn, this module only calls it and shapes the results.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from math import ceil
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from app.api.errors_doc import ERRORS
from app.compute import admitted_json, compute, prepare
from app.cost import network_cost
from app.errors import EngineInputError, engine_call
from app.responses import SafeJSONResponse, dumps
from app.schemas.network import MAX_WORK, NetworkTrainRequest
from app.schemas.network_out import NetworkTrainResponse
from engine.nn import RunTrace, decision_grid, make_plane, train, train_iter
from engine.nn.datasets import REGISTRY as DATASETS
from engine.nn.datasets import describe as describe_dataset
from engine.nn.losses import ACTIVATIONS, LOSSES
from engine.nn.mlp import INITS
from engine.nn.planes import METHODS

router = APIRouter(prefix="/api", tags=["network"])

STREAM_DOC = {200: {"content": {"application/x-ndjson": {"example": (
    '{"type":"meta","dataset":{...},"model":{...},"steps":300,...,"runs":[{"optimizer":{...}}]}\n'
    '{"type":"chunk","run":0,"step":15,"total":300,"steps":[0,1,...,14],"loss":[...],"accuracy":[...],'
    '"sharpness":{"steps":[0],"lam_max":[3.1],"eta":[0.5],"two_over_eta":[4.0]}}\n'
    '{"type":"done","runs":[{"status":"ok","diverged_at":null,"final":{...}}],"plane":{...},"decision":{...}}\n')}},
    "description": "NDJSON: a meta line (the response's header fields), chunk lines per run as training "
                   "progresses (joining a run's chunks gives its steps, loss, accuracy and sharpness arrays of "
                   "/api/network/train), then a done line with statuses, final values, plane and decision grids; "
                   "or an error line {type: error, detail}. A stream that ends without a done or error line was "
                   "cut off (a server fault or a broken connection): treat what arrived as truncated."}}


class NetworkCatalogue(BaseModel):
    datasets: list[dict[str, Any]] = Field(description=(
        "name, title, task and params [{name, default, min, max, description, type, log}] (n and seed first)"))
    activations: list[str]
    losses: list[str] = Field(description="mse = (1/2N)·Σ(f − y)² (Bishop's ½), bce on logits")
    inits: list[str]
    plane_methods: list[str]
    max_work: int = Field(description="work bound of one training request, in multiply-adds")


# ---- shaping ----------------------------------------------------------------------------

def header(body: NetworkTrainRequest) -> dict[str, Any]:
    """The fields the response (and the stream's meta line) starts with."""
    data, spec = body.dataset.data, body.model
    model = body.mlp.describe()
    model["init"] = {"scheme": spec.init, "sigma": spec.sigma, "seed": spec.seed}
    return {
        "dataset": {"name": data.name, "title": DATASETS[data.name].title, "task": data.task,
                    "params": data.params, "X": data.X, "y": data.y},
        "model": model, "steps": body.steps, "batch_size": body.batch_size, "schedule": body.schedule.describe(),
        "shuffle_seed": body.shuffle_seed, "record_every": body.record_every,
        "sharpness_every": body.sharpness_every, "sharpness_iters": body.sharpness_iters, "work": body.work(),
    }


def records(trace: RunTrace) -> dict[str, Any]:
    """The per-step arrays of a run (or of one chunk of it)."""
    with np.errstate(divide="ignore"):
        two_over_eta = 2.0 / trace.sharpness_eta
    return {"steps": trace.steps, "loss": trace.loss, "accuracy": trace.accuracy,
            "sharpness": {"steps": trace.sharpness_steps, "lam_max": trace.lam_max, "eta": trace.sharpness_eta,
                          "two_over_eta": two_over_eta}}


def outcome(trace: RunTrace) -> dict[str, Any]:
    """Status and the last recorded values (the last finite ones for a diverged run)."""
    last = len(trace.steps) - 1
    final = {"step": int(trace.steps[last]) if last >= 0 else 0,
             "loss": float(trace.loss[last]) if last >= 0 else None,
             "accuracy": float(trace.accuracy[last]) if last >= 0 and trace.accuracy is not None else None}
    return {"status": trace.status, "diverged_at": trace.diverged_at, "final": final}


def run_out(spec_description: dict[str, Any], trace: RunTrace) -> dict[str, Any]:
    state = outcome(trace)
    return {"optimizer": spec_description, "status": state["status"], "diverged_at": state["diverged_at"],
            **records(trace), "final": state["final"]}


def plane_out(body: NetworkTrainRequest, w0: np.ndarray, runs: list[RunTrace]) -> dict[str, Any] | None:
    spec = body.plane
    if spec is None:
        return None
    model, data = body.mlp, body.dataset.data
    if spec.center == "init":
        center, where = w0, {"kind": "init", "run": None, "step": 0}
    else:
        trace = runs[spec.run]
        center, where = trace.weights[-1], {"kind": "final", "run": spec.run, "step": int(trace.steps[-1])}
    paths = [trace.weights for trace in runs]
    if spec.method != "random" and model.d < 2:
        raise EngineInputError(["body", "plane", "method"], f"a {spec.method} plane needs at least 2 weights")
    points = sum(len(p) for p in paths)
    if spec.method == "pca" and points < 2:
        raise EngineInputError(["body", "plane", "method"], (
            f"a pca plane needs at least 2 recorded weight vectors, got {points} (every run diverged before "
            "its second record); use method random or hessian"))
    plane, projections = make_plane(model, data, center, spec.method, spec.n, spec.span, spec.seed, paths,
                                    spec.iters)
    out = plane.as_dict()
    out.update(center=where, n=spec.n, span=float(plane.alphas[-1]),
               direction_norms=np.linalg.norm(plane.directions, axis=-1),
               paths=[{"run": k, "steps": trace.steps, **projection.as_dict()}
                      for k, (trace, projection) in enumerate(zip(runs, projections, strict=True))])
    return {key: out[key] for key in ("method", "center", "n", "span", "alpha", "beta", "loss", "zmin", "zmax",
                                      "eigenvalues", "explained_variance", "direction_norms", "paths")}


def decision_out(body: NetworkTrainRequest, runs: list[RunTrace]) -> dict[str, Any] | None:
    """P(class 1) grids for the final weights of every run and `snapshots` evenly spaced records,
    all in one batched pass."""
    spec = body.decision
    if spec is None or not body.classification:
        return None
    rows, owners = [], []  # owners[b] = (run, record index)
    for k, trace in enumerate(runs):
        count = len(trace.steps)
        if count == 0:
            continue
        picks = np.unique(np.round(np.linspace(0, count - 1, spec.snapshots)).astype(int)) if spec.snapshots else []
        for index in [count - 1, *picks]:
            rows.append(trace.weights[index])
            owners.append((k, int(index)))
    xs, ys, prob = decision_grid(body.mlp, np.array(rows), body.dataset.data, spec.n)
    out = []
    for b, (k, index) in enumerate(owners):
        step = int(runs[k].steps[index])
        if not out or out[-1]["run"] != k:
            out.append({"run": k, "step": step, "prob": prob[b], "snapshots": []})
        else:
            out[-1]["snapshots"].append({"step": step, "prob": prob[b]})
    return {"x": xs, "y": ys, "runs": out}


# ---- computation ------------------------------------------------------------------------

def _train_options(body: NetworkTrainRequest) -> dict[str, Any]:
    spec = body.model
    return {"w0": body.mlp.init(spec.seed, spec.init, spec.sigma), "batch_size": body.batch_size,
            "schedule": body.schedule.schedule, "shuffle_seed": body.shuffle_seed,
            "record_every": body.record_every, "sharpness_every": body.sharpness_every or 0,
            "sharpness_iters": body.sharpness_iters}


def _optimizers(body: NetworkTrainRequest) -> list:
    return [spec.optimizer for spec in body.optimizers]


def _compute(body: NetworkTrainRequest) -> dict[str, Any]:
    options = _train_options(body)
    result = train(body.mlp, body.dataset.data, _optimizers(body), body.steps, **options)
    runs = [run_out(spec.describe(), trace) for spec, trace in zip(body.optimizers, result.runs, strict=True)]
    return {**header(body), "runs": runs, "plane": plane_out(body, options["w0"], result.runs),
            "decision": decision_out(body, result.runs)}


def _stream_parts(body: NetworkTrainRequest, stop: threading.Event, chunk_steps: int) -> Iterator[dict[str, Any]]:
    """Chunk lines while training, then the done line; stops between chunks once `stop` is set."""
    options = _train_options(body)
    runs: list[RunTrace] | None = None
    for part in train_iter(body.mlp, body.dataset.data, _optimizers(body), body.steps, chunk_steps=chunk_steps,
                           **options):
        if stop.is_set():
            return
        for k, trace in enumerate(part.runs):
            if len(trace.steps) or len(trace.sharpness_steps):
                yield {"type": "chunk", "run": k, "step": part.step, "total": part.total, **records(trace)}
        if runs is None:
            runs = part.runs
        else:
            for run, new in zip(runs, part.runs, strict=True):
                run.extend(new)
    if stop.is_set() or runs is None:
        return
    yield {"type": "done", "runs": [outcome(trace) for trace in runs],
           "plane": plane_out(body, options["w0"], runs), "decision": decision_out(body, runs)}


# ---- routes -----------------------------------------------------------------------------

@router.get("/network/datasets", response_model=NetworkCatalogue,
            summary="Datasets (with params), activations, losses, inits and plane methods for networks")
async def network_datasets() -> SafeJSONResponse:
    return SafeJSONResponse({"datasets": [describe_dataset(info) for info in DATASETS.values()],
                             "activations": list(ACTIVATIONS), "losses": list(LOSSES), "inits": list(INITS),
                             "plane_methods": list(METHODS), "max_work": MAX_WORK})


@router.post("/network/train", response_model=NetworkTrainResponse, responses=ERRORS,
             summary="Train a small MLP with 1–12 optimizers; curves, sharpness, landscape plane, decision grids")
async def network_train(body: NetworkTrainRequest, request: Request) -> SafeJSONResponse:
    body.check_limits(request.app.state.settings.limits)
    return await admitted_json(request, body, "network", _network_cost, engine_call, lambda: _compute(body))


@router.post("/network/train/stream", responses={**ERRORS, **STREAM_DOC}, response_class=StreamingResponse,
             summary="The same training streamed as NDJSON while it computes")
async def network_train_stream(body: NetworkTrainRequest, request: Request) -> StreamingResponse:
    settings = request.app.state.settings
    body.check_limits(settings.limits)
    ticket = await prepare(request, body, "network", _network_cost)
    stop = threading.Event()
    chunk_steps = max(1, min(settings.stream_chunk_steps, ceil(body.steps / 20)))
    parts = _stream_parts(body, stop, chunk_steps)

    async def lines() -> AsyncIterator[bytes]:
        request.app.state.active_streams += 1
        try:
            meta = {"type": "meta", **header(body), "runs": [{"optimizer": s.describe()} for s in body.optimizers]}
            yield dumps(meta) + b"\n"
            while True:
                item = await compute(next, parts, None)
                if item is None:
                    break
                yield dumps(item) + b"\n"
        except Exception as exc:  # a failure midway is reported in-band: headers are already sent
            detail = exc.message if isinstance(exc, EngineInputError) else f"{type(exc).__name__}: {exc}"
            yield dumps({"type": "error", "detail": detail}) + b"\n"
        finally:
            stop.set()  # a disconnect cancels this generator: the engine stops at its next chunk
            request.app.state.active_streams -= 1
            ticket.release()

    # the background task releases the estimate too if the stream never starts (idempotent)
    return StreamingResponse(lines(), media_type="application/x-ndjson", background=BackgroundTask(ticket.release))


def _network_cost(body: NetworkTrainRequest, _ev, limits) -> float:
    return network_cost(body, limits)
