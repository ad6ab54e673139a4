"""/api/point and /api/grid."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.limits import AtMost
from app.schemas.common import Domain, Point, Strict, SurfaceRef
from app.schemas.params import Int


class PointRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [
        {"surface": {"name": "quadratic", "params": {"kappa": 10, "theta": 30}}, "point": [1.0, 2.0]}]}}
    surface: SurfaceRef
    point: Point = Field(examples=[[1.0, 2.0]])


class PointResponse(BaseModel):
    f: float | None = Field(description="f(x, y)")
    grad: list[float | None] = Field(description="[∂f/∂x, ∂f/∂y], exact")
    hessian: list[list[float | None]] = Field(description="[[fxx, fxy], [fxy, fyy]], exact")
    eigenvalues: list[float | None] = Field(description="Hessian eigenvalues, ascending")
    eigenvectors: list[list[float | None]] = Field(
        description="unit eigenvectors; eigenvectors[i] belongs to eigenvalues[i]")
    curvature: Literal["positive_definite", "negative_definite", "indefinite", "singular"]


class GridRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [{"surface": {"name": "himmelblau"}, "n": 101}]}}
    surface: SurfaceRef
    n: Annotated[Int, *AtMost("max_grid_n")] = Field(default=101, ge=2, description="points per axis")
    domain: Domain | None = Field(default=None, description="defaults to the surface's domain")


class GridResponse(BaseModel):
    x: list[float] = Field(description="n x-coordinates")
    y: list[float] = Field(description="n y-coordinates")
    z: list[list[float | None]] = Field(description="z[i][j] = f(x[j], y[i]); non-finite values are null")
    zmin: float | None
    zmax: float | None
