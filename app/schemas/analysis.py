"""/api/basins (request, documented response shape, shaping of the engine's result) and what the
analysis endpoints share; /api/phase is in app/schemas/phase.py, /api/tune in app/schemas/tune.py.

Grids follow `/api/grid`'s layout: `value[i][j]` belongs to (x[j], y[i]), so Plotly's heatmap and
contour traces take `x`, `y` and the 2D array directly.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field

from app.errors import EngineInputError
from app.limits import AtMost
from app.schemas.common import (
    Domain,
    NoiseSpec,
    OptimizerSpec,
    ScheduleSpec,
    Strict,
    SurfaceRef,
    default_schedule,
)
from app.schemas.params import Int
from app.schemas.runs import surface_echo
from app.settings import Limits
from engine.analysis import BasinMap
from engine.run import CONVERGED_GRAD_NORM

Tolerance = Field(default=CONVERGED_GRAD_NORM, ge=1e-12, le=1e3, description=(
    "gradient-norm tolerance: a run has converged at the first t with |∇f(x_t)| < tol "
    "(default 1e-6, the threshold of /api/run's \"converged\")"))
Grid = list[list[float | None]]
IntGrid = list[list[int | None]]


def nullable_ints(values: np.ndarray) -> list:
    """An int array as nested lists with −1 (never) as null."""
    out = values.astype(object)
    out[values < 0] = None
    return out.tolist()


def given_hparams(spec: OptimizerSpec) -> dict[str, Any]:
    """The hyperparameters a spec sets (the engine fills in the defaults)."""
    out = spec.model_dump(exclude_none=True, exclude={"name", "label"})
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def check_work(starts: int, steps: int, limits: Limits, what: str) -> None:
    """422 when a batched request would exceed `max_batch_work` start-steps."""
    work = starts * steps
    if work > limits.max_batch_work:
        raise EngineInputError(["body", "steps"], (
            f"too much work: {what} = {starts} runs × {steps} steps = {work} start-steps; "
            f"the limit is {limits.max_batch_work}; lower n, steps or budget"))


# ---- basins ---------------------------------------------------------------------------------

class BasinsRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [
        {"surface": {"name": "himmelblau"}, "optimizer": {"name": "gd", "lr": 0.01}, "steps": 500, "n": 200}]}}

    surface: SurfaceRef
    optimizer: OptimizerSpec
    steps: Annotated[Int, *AtMost("max_steps")] = Field(default=500, ge=1, description="updates from every start")
    n: Annotated[Int, *AtMost("max_basin_n")] = Field(default=101, ge=2, description="starts per axis (n×n starts)")
    domain: Domain | None = Field(default=None, description="grid of starts; defaults to the surface's domain")
    schedule: ScheduleSpec = Field(default_factory=default_schedule, description="lr schedule")
    noise: NoiseSpec = Field(default_factory=NoiseSpec,
                             description="gradient noise; every start sees the ξ that /api/run draws for this seed")
    tol: float = Tolerance
    radius: float | None = Field(default=None, gt=0, le=1e6, description=(
        "a final point within this distance of a minimum (and with |∇f| < tol) is labelled with it; "
        "default 1 % of the domain's diagonal"))

    def check_limits(self, limits: Limits) -> None:
        check_work(self.n * self.n, self.steps, limits, "n²")


class MinimumOut(BaseModel):
    x: float
    y: float
    f: float | None


class BasinsResponse(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "surface": {"name": "himmelblau", "params": {}, "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}},
        "optimizer": {"name": "gd", "label": "gd", "lr": 0.01, "weight_decay": 0.0},
        "steps": 500, "n": 3, "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}, "schedule": {"name": "constant"},
        "noise": {"sigma": 0.0, "seed": 0}, "tol": 1e-06, "radius": 0.1414213562373095,
        "x": [-5.0, 0.0, 5.0], "y": [-5.0, 0.0, 5.0],
        "label": [[0, 0, 3], [0, 2, 3], [1, 1, 2]],
        "steps_to_converge": [[17, 27, 61], [30, 62, 70], [21, 28, 67]],
        "minima": [{"x": -3.779310253377747, "y": -3.2831859912861696, "f": 7.888609052210118e-31},
                   {"x": -2.805118086952745, "y": 3.131312518250573, "f": 7.888609052210118e-31},
                   {"x": 3.0, "y": 2.0, "f": 0.0}, {"x": 3.5844283403304917, "y": -1.8481265269644036, "f": 0.0}],
        "counts": {"-2": 0, "-1": 0, "0": 3, "1": 2, "2": 2, "3": 2}}]}}

    surface: dict[str, Any] = Field(description="the surface as used: name, params, domain")
    optimizer: dict[str, Any] = Field(description="{name, label, every effective hyperparameter}")
    steps: int
    n: int
    domain: dict[str, list[float]] = Field(description="{x: [lo, hi], y: [lo, hi]} of the grid of starts")
    schedule: dict[str, Any]
    noise: dict[str, Any]
    tol: float = Field(description="gradient-norm tolerance used")
    radius: float = Field(description="distance tolerance to a minimum used")
    x: list[float] = Field(description="n x-coordinates of the starts")
    y: list[float] = Field(description="n y-coordinates of the starts")
    label: list[list[int]] = Field(description=(
        "label[i][j] of the start (x[j], y[i]): index into `minima` of the minimum reached; "
        "−1 diverged; −2 not converged (final point farther than `radius` from every minimum, "
        "or |∇f| ≥ tol at the end)"))
    steps_to_converge: IntGrid = Field(description=(
        "first t with |∇f(x_t)| < tol for starts labelled with a minimum; null otherwise"))
    minima: list[MinimumOut] = Field(description="the surface's minima (global first); labels index this list")
    counts: dict[str, int] = Field(description="number of starts per label, keys '-2', '-1', '0', '1', ...")


def basins_out(body: BasinsRequest, result: BasinMap) -> dict[str, Any]:
    (xlo, xhi), (ylo, yhi) = body.domain.as_tuple() if body.domain else body.surface.surface.domain
    return {
        "surface": surface_echo(body.surface), "optimizer": body.optimizer.describe(), "steps": body.steps,
        "n": body.n, "domain": {"x": [xlo, xhi], "y": [ylo, yhi]}, "schedule": body.schedule.describe(),
        "noise": body.noise.model_dump(), "tol": result.tol, "radius": result.radius,
        "x": result.x, "y": result.y, "label": result.label,
        "steps_to_converge": nullable_ints(result.steps_to_converge),
        "minima": [s.as_dict() for s in body.surface.surface.minima],
        "counts": {str(k): v for k, v in result.counts.items()},
    }
