"""POST /api/scene: surface description, contour grid, start geometry and run in one request (the
Paths view's answer to a new κ, θ, ... : one round trip instead of four)."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import APIRouter, Request

from app.api.errors_doc import ERRORS
from app.api.routes.runs import _compute as run_compute
from app.compute import admitted_json
from app.cost import grid_cost, point_cost, run_cost
from app.responses import SafeJSONResponse
from app.schemas.scene import SceneRequest, SceneResponse
from engine.grid import grid

router = APIRouter(prefix="/api", tags=["geometry"])


def scene_cost(body: SceneRequest, ev, limits) -> float:
    """The four requests' estimates added up (app/cost.py)."""
    seconds = grid_cost(SimpleNamespace(n=body.grid_n), ev, limits) + point_cost(body, ev, limits)
    return seconds + (run_cost(body, ev, limits) if body.include_run else 0.0)


def _compute(body: SceneRequest) -> dict:
    surface = body.surface.surface
    return {"surface": surface.describe(), "grid": grid(surface, body.grid_n), "point": surface.geometry(body.start),
            "run": run_compute(body) if body.include_run else None}


@router.post("/scene", response_model=SceneResponse, responses=ERRORS,
             summary="A /api/run body plus grid_n → {surface, grid, point, run}: what /api/surface, /api/grid, "
                     "/api/point (at the start) and /api/run return, in one round trip")
async def scene(body: SceneRequest, request: Request) -> SafeJSONResponse:
    return await admitted_json(request, body, "scene", scene_cost, _compute, body)
