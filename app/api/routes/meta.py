"""Health, limits and the catalogues: surfaces, optimizers, schedules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.responses import SafeJSONResponse
from engine import optimizers as optimizer_registry
from engine import schedules as schedule_registry
from engine.surfaces import REGISTRY as SURFACES

router = APIRouter(prefix="/api", tags=["meta"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(description="the package version (pyproject.toml)", examples=["0.1.0"])
    active_streams: int = Field(description="NDJSON streams being computed right now")
    limits: dict[str, int] = Field(description="every request limit (as GET /api/limits, values only)")


class LimitOut(BaseModel):
    value: int
    description: str


class LimitsOut(BaseModel):
    limits: dict[str, LimitOut] = Field(description=(
        "every request limit of this server, each set by LOSSLAB_<NAME> (e.g. LOSSLAB_MAX_STEPS); the "
        "OpenAPI schema's maximum / maxItems and the 422s use the same numbers"))


class SurfaceList(BaseModel):
    surfaces: list[dict[str, Any]] = Field(description="name, title, formula (LaTeX), params, domain, minima, saddles")


class OptimizerList(BaseModel):
    optimizers: list[dict[str, Any]] = Field(description="name, title, torch equivalent, LaTeX rule, params")
    schedules: list[dict[str, Any]] = Field(description="name, factor(t) in LaTeX, params")


@router.get("/health", response_model=Health, summary="Liveness, version and limits")
async def health(request: Request) -> SafeJSONResponse:
    limits = request.app.state.settings.limits
    return SafeJSONResponse({"status": "ok", "version": request.app.version,
                             "active_streams": request.app.state.active_streams, "limits": limits.model_dump()})


@router.get("/limits", response_model=LimitsOut, summary="Every request limit, from the server's settings")
async def limits(request: Request) -> SafeJSONResponse:
    return SafeJSONResponse({"limits": request.app.state.settings.limits.public()})


def _surface_catalogue() -> list[dict[str, Any]]:
    return [cls().describe() for cls in SURFACES.values()]


@router.get("/surfaces", response_model=SurfaceList, summary="Every surface with params, domain, minima and saddles")
async def surfaces() -> SafeJSONResponse:
    return SafeJSONResponse({"surfaces": _surface_catalogue()})


@router.get("/optimizers", response_model=OptimizerList, summary="Every optimizer (torch.optim semantics) and schedule")
async def optimizers() -> SafeJSONResponse:
    return SafeJSONResponse({
        "optimizers": [optimizer_registry.describe(info) for info in optimizer_registry.REGISTRY.values()],
        "schedules": [schedule_registry.describe(info) for info in schedule_registry.REGISTRY.values()],
    })
