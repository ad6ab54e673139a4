"""/api/tune: request (a fair lr search per optimizer), documented response shape, and shaping of the
engine's result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.limits import AtMost, AtMostItems
from app.schemas.analysis import check_work
from app.schemas.common import (
    OptimizerSpec,
    Point,
    ScheduleSpec,
    Strict,
    SurfaceRef,
    default_schedule,
)
from app.schemas.params import Int
from app.schemas.runs import RunOut, run_out, surface_echo
from app.settings import Limits
from engine.analysis import TuneResult


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
    steps: Annotated[Int, *AtMost("max_steps")] = Field(
        default=200, ge=1, description="updates of a full-length trial and of the run")
    optimizers: Annotated[list[OptimizerSpec], *AtMostItems("max_optimizers")] = Field(min_length=1, description=(
        "1 to max_optimizers optimizers; their lr is tuned, other hyperparameters stay as given"))
    budget: Int = Field(default=16, ge=2, le=64, description=(
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
