"""POST /api/surface: one surface described at the given params.

GET /api/surfaces lists every surface at its default params; stationary points move with
some params (Rosenbrock's minimum is (a, a²)), so the page asks here for the current ones.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.errors_doc import ERRORS
from app.compute import admitted_json
from app.responses import SafeJSONResponse
from app.schemas.common import Strict, SurfaceRef

router = APIRouter(prefix="/api", tags=["meta"])


class SurfaceInfoRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [{"surface": {"name": "rosenbrock", "params": {"a": 2}}}]}}
    surface: SurfaceRef


@router.post("/surface", responses=ERRORS,
             summary="One surface at the given params: name, title, formula, params, domain, minima, saddles, maxima")
async def surface_info(body: SurfaceInfoRequest, request: Request) -> SafeJSONResponse:
    return await admitted_json(request, body, "surface", None, lambda: body.surface.surface.describe())
