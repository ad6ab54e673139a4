"""/api/phase: request, documented response shape, and shaping of the engine's result (grids as in
app/schemas/analysis.py: `value[i][j]` belongs to (x[j], y[i]))."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.limits import AtMost
from app.schemas.analysis import Grid, IntGrid, Tolerance, check_work, nullable_ints
from app.schemas.common import (
    OptimizerSpec,
    Point,
    ScheduleSpec,
    Strict,
    SurfaceRef,
    default_schedule,
)
from app.schemas.params import Int
from app.schemas.runs import surface_echo
from app.settings import Limits
from engine.analysis import Axis, PhaseResult, check_axes
from engine.analysis.phase import axis_params
from engine.optimizers import REGISTRY as OPTIMIZERS


class AxisSpec(Strict):
    min: float = Field(ge=0, le=1e6, description="first value")
    max: float = Field(ge=0, le=1e6, description="last value (> min)")
    n: Annotated[Int, *AtMost("max_phase_n")] = Field(default=41, ge=2, description="values on this axis")
    log: bool = Field(default=False, description="log-spaced values (min > 0)")


AXIS_NAMES = sorted({name for optimizer in OPTIMIZERS for name in axis_params(optimizer)})

PHASE_EXAMPLE = {
    "surface": {"name": "quadratic", "params": {"kappa": 10}}, "start": [-4.0, 2.0],
    "optimizer": {"name": "momentum"}, "steps": 300,
    "axes": {"lr": {"min": 0.001, "max": 1.0, "n": 61, "log": True},
             "momentum": {"min": 0.0, "max": 0.95, "n": 41}}}


class PhaseRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [
        PHASE_EXAMPLE,
        {"surface": {"name": "rosenbrock"}, "start": [-1.5, 2.0], "optimizer": {"name": "adam"}, "steps": 500,
         "axes": {"lr": {"min": 1e-3, "max": 1.0, "n": 41, "log": True},
                  "beta1": {"min": 0.0, "max": 0.99, "n": 41}}}]}}

    surface: SurfaceRef
    start: Point | None = Field(default=None, description="start [x, y]; defaults to the surface's default start")
    optimizer: OptimizerSpec = Field(description="the optimizer and its fixed hyperparameters (axes override)")
    steps: Annotated[Int, *AtMost("max_steps")] = Field(default=300, ge=1, description="updates per cell")
    # propertyNames: every name some optimizer can sweep (which ones this optimizer has is a rule
    # across fields, checked by check_axes: a 422 naming the allowed ones)
    axes: dict[str, AxisSpec] = Field(min_length=2, max_length=2, json_schema_extra={
        "propertyNames": {"enum": AXIS_NAMES}}, description=(
        "exactly two numeric hyperparameters of the optimizer, e.g. lr and momentum; Adam's betas are "
        "'beta1' and 'beta2'. The first is the x axis, the second the y axis"))
    schedule: ScheduleSpec = Field(default_factory=default_schedule, description="lr schedule (theory needs constant)")
    tol: float = Tolerance

    @model_validator(mode="after")
    def _check(self) -> PhaseRequest:
        check_axes(self.optimizer.name, self.engine_axes())
        if self.start is None:
            self.start = list(self.surface.surface.default_start)
        return self

    def engine_axes(self) -> list[Axis]:
        return [Axis(name, a.min, a.max, a.n, a.log) for name, a in self.axes.items()]

    def check_limits(self, limits: Limits) -> None:
        nx, ny = (a.n for a in self.axes.values())
        check_work(nx * ny, self.steps, limits, "cells")


class AxisOut(BaseModel):
    name: str
    min: float
    max: float
    n: int
    log: bool


class Curve(BaseModel):
    kind: Literal["stability", "optimal_lr"] = Field(description=(
        "stability: the largest stable lr; optimal_lr: GD's best fixed lr"))
    formula: str
    x: list[float | None] = Field(description="x coordinates (values of the first axis)")
    y: list[float | None] = Field(description="y coordinates (values of the second axis)")


class Optimum(BaseModel):
    x: float = Field(description="optimum on the first axis")
    y: float = Field(description="optimum on the second axis")
    lr: float = Field(description="η*")
    momentum: float = Field(description="μ*")
    rate: float = Field(description="spectral radius at the optimum")
    inside: bool = Field(description="whether (η*, μ*) lies inside the plotted ranges")
    formula: str


class PhaseTheory(BaseModel):
    lambda_min: float
    lambda_max: float
    curvature: str | None = Field(None, description="curvature class of H (engine.theory)")
    kappa: float | None
    eta_max_stable_gd: float | None
    stability_note: str | None = Field(None, description="why no η is stable, when none is (e.g. indefinite H)")
    eta_opt_gd: float | None
    rate_opt_gd: float | None
    momentum_opt: float | None
    eta_opt_momentum: float | None
    rate_opt_momentum: float | None
    predicted_rate: Grid = Field(description="spectral radius of the linear iteration per cell")
    predicted_stable: list[list[bool]] = Field(description="predicted_rate < 1")
    boundary: list[Curve] = Field(description=(
        "curves over the other axis when one axis is lr: GD η = 2/(λmax + wd); heavy ball "
        "η = 2(1+μ)/((1−τ)(λmax + wd)) (μ = 0: GD's); Nesterov η = 2(1+μ)/((1+2μ)(λmax + wd)); "
        "GD also its optimal η*; the same engine.theory the run's theory block uses"))
    optimum: Optimum | None = Field(description="(η*, μ*) for momentum/nesterov when the axes are lr and momentum")


class PhaseResponse(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "surface": {"name": "quadratic", "params": {"kappa": 10.0, "theta": 0.0, "lam_min": 1.0},
                    "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}},
        "start": [-4.0, 2.0], "steps": 300, "schedule": {"name": "constant"}, "tol": 1e-06,
        "optimizer": {"name": "momentum", "label": "momentum", "dampening": 0.0, "weight_decay": 0.0},
        "axes": [{"name": "lr", "min": 0.01, "max": 1.0, "n": 2, "log": True},
                 {"name": "momentum", "min": 0.0, "max": 0.9, "n": 2, "log": False}],
        "x": [0.01, 1.0], "y": [0.0, 0.9],
        "final_loss": [[0.019240074330488646, None], [2.484921594200968e-13, None]],
        "diverged": [[False, True], [False, True]], "steps_to_converge": [[None, None], [298, None]],
        "measured_rate": [[0.9846387102191917, 8.964770489648288], [0.9450859784744444, 8.12341025623866]],
        "theory": {
            "lambda_min": 1.0, "lambda_max": 10.0, "kappa": 10.0, "eta_max_stable_gd": 0.2,
            "eta_opt_gd": 0.18181818181818182, "rate_opt_gd": 0.8181818181818182,
            "momentum_opt": 0.26987386361223836, "eta_opt_momentum": 0.2308861570204069,
            "rate_opt_momentum": 0.5194938532959157,
            "predicted_rate": [[0.99, 9.0], [0.9486832980505138, 7.9873214245220066]],
            "predicted_stable": [[True, False], [True, False]],
            "boundary": [{"kind": "stability", "formula": "η = 2(1+μ)/((1−τ)(λmax + wd))",
                          "x": [0.2, 0.38], "y": [0.0, 0.9]}],
            "optimum": {"x": 0.2308861570204069, "y": 0.26987386361223836, "lr": 0.2308861570204069,
                        "momentum": 0.26987386361223836, "rate": 0.5194938532959157, "inside": True,
                        "formula": "η* = 4/((√λmax + √λmin)²(1−τ)), μ* = ((√κ−1)/(√κ+1))² (Polyak)"}}}]}}

    surface: dict[str, Any]
    start: list[float]
    steps: int
    schedule: dict[str, Any]
    tol: float
    optimizer: dict[str, Any] = Field(description="{name, label, the fixed (not swept) hyperparameters}")
    axes: list[AxisOut] = Field(description="the two axes, x first")
    x: list[float] = Field(description="values of the first axis")
    y: list[float] = Field(description="values of the second axis")
    final_loss: Grid = Field(description="final_loss[i][j] for (x[j], y[i]); null where the run diverged")
    diverged: list[list[bool]] = Field(description="whether the run of cell (i, j) diverged")
    steps_to_converge: IntGrid = Field(description="first t with |∇f(x_t)| < tol; null if never")
    measured_rate: Grid = Field(description=(
        "per-step contraction of |∇f|: (g_end/g_0)^(1/t_end), t_end the convergence step (g_end = tol) or "
        "the last kept iterate; < 1 contracting; null when undefined"))
    theory: PhaseTheory | None = Field(description=(
        "for a constant Hessian, gd/momentum/nesterov and a constant schedule; else null"))


def phase_out(body: PhaseRequest, result: PhaseResult) -> dict[str, Any]:
    theory = result.theory
    if theory is not None:
        theory = {**theory, "boundary": [dict(c) for c in theory["boundary"]]}
    return {
        "surface": surface_echo(body.surface), "start": body.start, "steps": body.steps,
        "schedule": body.schedule.describe(), "tol": body.tol,
        "optimizer": {"name": body.optimizer.name, "label": body.optimizer.label or body.optimizer.name,
                      **result.hparams},
        "axes": [{"name": a.name, "min": a.min, "max": a.max, "n": a.n, "log": a.log} for a in result.axes],
        "x": result.x, "y": result.y, "final_loss": result.final_loss, "diverged": result.diverged,
        "steps_to_converge": nullable_ints(result.steps_to_converge), "measured_rate": result.measured_rate,
        "theory": theory,
    }
