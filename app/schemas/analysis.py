"""/api/basins, /api/phase, /api/tune: requests, documented response shapes, and shaping of engine results.

Grids follow `/api/grid`'s layout: `value[i][j]` belongs to (x[j], y[i]), so Plotly's heatmap and
contour traces take `x`, `y` and the 2D array directly.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from app.errors import EngineInputError
from app.limits import AtMost, AtMostItems
from app.schemas.common import (
    Domain,
    NoiseSpec,
    OptimizerSpec,
    Point,
    ScheduleSpec,
    Strict,
    SurfaceRef,
    default_schedule,
)
from app.schemas.runs import RunOut, run_out, surface_echo
from app.settings import Limits
from engine.analysis import Axis, BasinMap, PhaseResult, TuneResult, check_axes
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
    steps: Annotated[int, *AtMost("max_steps")] = Field(default=500, ge=1, description="updates from every start")
    n: Annotated[int, *AtMost("max_basin_n")] = Field(default=101, ge=2, description="starts per axis (n×n starts)")
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


# ---- phase ----------------------------------------------------------------------------------

class AxisSpec(Strict):
    min: float = Field(ge=0, le=1e6, description="first value")
    max: float = Field(ge=0, le=1e6, description="last value (> min)")
    n: Annotated[int, *AtMost("max_phase_n")] = Field(default=41, ge=2, description="values on this axis")
    log: bool = Field(default=False, description="log-spaced values (min > 0)")


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
    steps: Annotated[int, *AtMost("max_steps")] = Field(default=300, ge=1, description="updates per cell")
    axes: dict[str, AxisSpec] = Field(min_length=2, max_length=2, description=(
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


# ---- tune -----------------------------------------------------------------------------------

class LrRange(Strict):
    min: float = Field(default=1e-4, gt=0, le=100, description="smallest lr tried")
    max: float = Field(default=1.0, gt=0, le=100, description="largest lr tried (> min)")

    @model_validator(mode="after")
    def _ordered(self) -> LrRange:
        if not self.min < self.max:
            raise ValueError(f"lr_range needs min < max, got min={self.min}, max={self.max}")
        return self


class TuneRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [{
        "surface": {"name": "quadratic", "params": {"kappa": 50, "theta": 30}}, "start": [-4.0, 2.0],
        "steps": 200, "optimizers": [{"name": "gd"}, {"name": "momentum", "momentum": 0.9}, {"name": "adam"}],
        "budget": 16, "lr_range": {"min": 1e-4, "max": 1.0}, "method": "grid"}]}}

    surface: SurfaceRef
    start: Point | None = Field(default=None, description="start [x, y]; defaults to the surface's default start")
    steps: Annotated[int, *AtMost("max_steps")] = Field(
        default=200, ge=1, description="updates of a full-length trial and of the run")
    optimizers: Annotated[list[OptimizerSpec], *AtMostItems("max_optimizers")] = Field(min_length=1, description=(
        "1 to max_optimizers optimizers; their lr is tuned, other hyperparameters stay as given"))
    budget: int = Field(default=16, ge=2, le=64, description=(
        "grid: trials per optimizer (exactly); halving: budget·steps trial-steps per optimizer (at most)"))
    lr_range: LrRange = Field(default_factory=LrRange, description="log-spaced lr range searched")
    method: Literal["grid", "halving"] = Field(default="grid", description=(
        "grid: `budget` log-spaced lrs, full length each; halving: successive halving over more candidates "
        "with the same compute (see engine/analysis/tune.py)"))
    schedule: ScheduleSpec = Field(default_factory=default_schedule, description="lr schedule of every trial and run")

    @model_validator(mode="after")
    def _default_start(self) -> TuneRequest:
        if self.start is None:
            self.start = list(self.surface.surface.default_start)
        return self

    def check_limits(self, limits: Limits) -> None:
        check_work(len(self.optimizers) * self.budget, self.steps, limits, "optimizers × budget")


class Trials(BaseModel):
    lr: list[float] = Field(description="lr of every trial, rung by rung, ascending within a rung")
    steps: list[int] = Field(description="updates of every trial")
    rung: list[int] = Field(description="successive-halving rung (always 0 for the grid)")
    final_loss: list[float | None] = Field(description="final loss; null where the trial diverged")
    diverged: list[bool]


class TuneOut(BaseModel):
    optimizer: dict[str, Any] = Field(description="the spec with the tuned lr (as given if every trial diverged)")
    best_lr: float | None = Field(description="lowest final loss (ties within 1e-12 relative: smaller lr); "
                                              "null if every final trial diverged")
    best_loss: float | None
    trials: Trials = Field(description="the loss-vs-lr curve: every trial, columnar for plotting")
    trials_used: int = Field(description="number of trials run (grid: exactly budget)")
    trial_steps: int = Field(description="Σ updates over trials (grid: budget·steps; halving: ≤ budget·steps)")
    candidates: int = Field(description="distinct lrs tried")
    run: RunOut | None = Field(description="the run at best_lr, as /api/run returns it; null if none")


class TuneResponse(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "surface": {"name": "quadratic", "params": {"kappa": 50.0, "theta": 30.0, "lam_min": 1.0},
                    "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}},
        "start": [-4.0, 2.0], "steps": 2, "schedule": {"name": "constant"}, "method": "grid", "budget": 2,
        "lr_range": {"min": 0.001, "max": 0.01},
        "results": [{
            "optimizer": {"name": "gd", "label": "gd", "lr": 0.01, "weight_decay": 0.0},
            "best_lr": 0.01, "best_loss": 24.679089422569596,
            "trials": {"lr": [0.001, 0.01], "steps": [2, 2], "rung": [0, 0],
                       "final_loss": [286.6389875528123, 24.679089422569596], "diverged": [False, False]},
            "trials_used": 2, "trial_steps": 4, "candidates": 2,
            "run": {"optimizer": {"name": "gd", "label": "gd", "lr": 0.01, "weight_decay": 0.0},
                    "path": [[-4.0, 2.0], [-3.045647552145625, 0.3962951042912499],
                             [-2.5580148526969815, -0.39952029460603744]],
                    "loss": [351.2409791417499, 90.02675419622537, 24.679089422569596],
                    "grad_norm": [186.61880899967855, 93.3331558822276, 46.713106281653715],
                    "lr": [0.01, 0.01], "status": "max_steps", "steps_taken": 2}}]}]}}

    surface: dict[str, Any]
    start: list[float]
    steps: int
    schedule: dict[str, Any]
    method: Literal["grid", "halving"]
    budget: int
    lr_range: dict[str, float]
    results: list[TuneOut] = Field(description="one per optimizer, in request order")


def tune_out(spec: OptimizerSpec, result: TuneResult) -> dict[str, Any]:
    tuned = spec
    if result.best_lr is not None:
        tuned = type(spec).model_validate({**spec.model_dump(exclude_none=True), "lr": result.best_lr})
    return {
        "optimizer": tuned.describe(), "best_lr": result.best_lr, "best_loss": result.best_loss,
        "trials": {"lr": result.lr, "steps": result.steps, "rung": result.rung,
                   "final_loss": result.final_loss, "diverged": result.diverged},
        "trials_used": int(result.lr.size), "trial_steps": result.trial_steps, "candidates": result.candidates,
        "run": None if result.run is None else run_out(tuned, result.run),
    }


def tune_header(body: TuneRequest) -> dict[str, Any]:
    return {"surface": surface_echo(body.surface), "start": body.start, "steps": body.steps,
            "schedule": body.schedule.describe(), "method": body.method, "budget": body.budget,
            "lr_range": body.lr_range.model_dump()}
