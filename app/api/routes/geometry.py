"""Local geometry at a point and contour grids."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.errors_doc import ERRORS
from app.compute import admitted_json
from app.cost import grid_cost, point_cost
from app.responses import SafeJSONResponse
from app.schemas.geometry import GridRequest, GridResponse, PointRequest, PointResponse
from engine.grid import grid

router = APIRouter(prefix="/api", tags=["geometry"])


@router.post("/point", response_model=PointResponse, responses=ERRORS,
             summary="Value, exact gradient and Hessian, eigen-decomposition and curvature class at a point")
async def point(body: PointRequest, request: Request) -> SafeJSONResponse:
    return await admitted_json(request, body, "point", point_cost, lambda: body.surface.surface.geometry(body.point))


@router.post("/grid", response_model=GridResponse, responses=ERRORS,
             summary="f on an n×n grid, z[i][j] = f(x[j], y[i]) (Plotly's contour/surface layout)")
async def contour_grid(body: GridRequest, request: Request) -> SafeJSONResponse:
    domain = body.domain.as_tuple() if body.domain else None
    return await admitted_json(request, body, "grid", grid_cost, lambda: grid(body.surface.surface, body.n, domain))
