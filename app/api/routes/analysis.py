"""Beyond single runs: basins of attraction, hyperparameter phase diagrams, fair lr tuning.

Each endpoint runs one batched engine computation in the thread pool; limits that depend on
settings (n, total start-steps) are checked first and give a 422.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app.api.errors_doc import ERRORS
from app.compute import admitted_json
from app.cost import basins_cost, phase_cost, tune_cost
from app.errors import engine_call
from app.responses import SafeJSONResponse
from app.schemas.analysis import BasinsRequest, BasinsResponse, basins_out, given_hparams
from app.schemas.phase import PhaseRequest, PhaseResponse, phase_out
from app.schemas.tune import TuneRequest, TuneResponse, tune_header, tune_out
from engine.analysis import basins, phase_diagram, tune

router = APIRouter(prefix="/api", tags=["analysis"])


def _basins(body: BasinsRequest) -> dict[str, Any]:
    result = basins(body.surface.surface, body.optimizer.optimizer, body.steps, body.n,
                    body.domain.as_tuple() if body.domain else None, body.schedule.schedule,
                    body.noise.to_engine(), body.tol, body.radius)
    return basins_out(body, result)


def _phase(body: PhaseRequest) -> dict[str, Any]:
    result = phase_diagram(body.surface.surface, body.start, body.optimizer.name, given_hparams(body.optimizer),
                           body.engine_axes(), body.steps, body.schedule.schedule, body.tol)
    return phase_out(body, result)


def _tune(body: TuneRequest) -> dict[str, Any]:
    results = [tune_out(spec, tune(body.surface.surface, body.start, spec.name, given_hparams(spec), body.steps,
                                   body.budget, body.lr_range.min, body.lr_range.max, body.method,
                                   body.schedule.schedule))
               for spec in body.optimizers]
    return {**tune_header(body), "results": results}


@router.post("/basins", response_model=BasinsResponse, responses=ERRORS,
             summary="Basins of attraction: label every start of an n×n grid by the minimum it reaches")
async def basins_route(body: BasinsRequest, request: Request) -> SafeJSONResponse:
    body.check_limits(request.app.state.settings.limits)
    return await admitted_json(request, body, "basins", basins_cost, engine_call, lambda: _basins(body))


@router.post("/phase", response_model=PhaseResponse, responses=ERRORS,
             summary="Phase diagram over two hyperparameters, all cells as one batch, with the theory overlay")
async def phase_route(body: PhaseRequest, request: Request) -> SafeJSONResponse:
    body.check_limits(request.app.state.settings.limits)
    return await admitted_json(request, body, "phase", phase_cost, engine_call, lambda: _phase(body))


@router.post("/tune", response_model=TuneResponse, responses=ERRORS,
             summary="Fair tuning: the same lr budget for every optimizer; best lr, its run and the loss-vs-lr curve")
async def tune_route(body: TuneRequest, request: Request) -> SafeJSONResponse:
    body.check_limits(request.app.state.settings.limits)
    return await admitted_json(request, body, "tune", tune_cost, engine_call, lambda: _tune(body))
