"""POST /api/scene: what the Paths view needs for a new surface, in one round trip.

The body is a /api/run body plus `grid_n` (and `include_run`); the answer joins what /api/surface,
/api/grid, /api/point (at the run's start) and /api/run return for it, each in its own shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.limits import AtMost
from app.schemas.geometry import GridResponse, PointResponse
from app.schemas.params import Int
from app.schemas.runs import DEFAULT_SCENE, RunRequest, RunResponse

GRID_N_DEFAULT = 121  # the Paths view's contour resolution


class SceneRequest(RunRequest):
    model_config = {"json_schema_extra": {"examples": [{**DEFAULT_SCENE, "grid_n": GRID_N_DEFAULT}]}}

    grid_n: Annotated[Int, *AtMost("max_grid_n")] = Field(
        default=GRID_N_DEFAULT, ge=2, description="points per axis of the grid (as `n` of /api/grid)")
    include_run: bool = Field(default=True, description=(
        "false: leave the run out (`run` is null, its cost is not counted), e.g. when the caller streams a "
        "long run from /api/run/stream beside this request"))


class SceneResponse(BaseModel):
    surface: dict[str, Any] = Field(description="what POST /api/surface returns for `surface`")
    grid: GridResponse = Field(description="what POST /api/grid returns for `surface` and n = `grid_n`")
    point: PointResponse = Field(description="what POST /api/point returns at `start` (the default start if omitted)")
    run: RunResponse | None = Field(description="what POST /api/run returns for the same body; null if "
                                                "`include_run` is false")
