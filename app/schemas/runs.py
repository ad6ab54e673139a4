"""/api/run and /api/run/stream: request, response and the shaping of engine results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.limits import AtMost, AtMostItems
from app.schemas.common import NoiseSpec, OptimizerSpec, Point, ScheduleSpec, Strict, SurfaceRef, default_schedule
from app.schemas.params import Int
from engine.details import MAX_DETAIL_STEPS
from engine.divergence import RULE as DIVERGENCE_RULE
from engine.optimizers.base import MAX_CLOSURE_EVALS

DEFAULT_SCENE = {
    "surface": {"name": "quadratic", "params": {"kappa": 50, "theta": 30}},
    "start": [-4.0, 2.0],
    "steps": 200,
    "optimizers": [{"name": "gd", "lr": 0.03}, {"name": "momentum", "lr": 0.01, "momentum": 0.9},
                   {"name": "nesterov", "lr": 0.01, "momentum": 0.9}, {"name": "adam", "lr": 0.3}],
    "schedule": {"name": "constant"},
    "noise": {"sigma": 0.0, "seed": 0},
}


def check_closure_evals(specs, steps: int) -> None:
    """Optimizers that evaluate f several times per update (L-BFGS) step in Python: bound their work."""
    for index, spec in enumerate(specs):
        opt = spec.optimizer
        if opt.needs_closure and steps * opt.evals_per_step > MAX_CLOSURE_EVALS:
            raise ValueError(f"optimizers[{index}] ({opt.name}): steps × max_eval = {steps} × {opt.evals_per_step} "
                             f"is over {MAX_CLOSURE_EVALS} evaluations; lower steps or max_eval")


class RunRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [DEFAULT_SCENE]}}

    surface: SurfaceRef
    start: Point | None = Field(default=None, description="start [x, y]; defaults to the surface's default start",
                                examples=[[-4.0, 2.0]])
    steps: Annotated[Int, *AtMost("max_steps")] = Field(default=200, ge=1, description="number of updates")
    optimizers: Annotated[list[OptimizerSpec], *AtMostItems("max_optimizers")] = Field(
        min_length=1, description="1 to max_optimizers (GET /api/limits) optimizer specs")
    schedule: ScheduleSpec = Field(default_factory=default_schedule,
                                   description="lr schedule applied to every optimizer")
    noise: NoiseSpec = Field(default_factory=NoiseSpec, description="gradient noise, same ξ for every optimizer")
    details: bool = Field(default=False, description=(
        "also return, per run, the anatomy of every update (gradient used, GD step, actual update, momentum "
        "contribution, velocity, per-coordinate effective lr, Nesterov's textbook point, optimizer state); "
        f"only with steps ≤ {MAX_DETAIL_STEPS}"))

    @model_validator(mode="after")
    def _default_start(self) -> RunRequest:
        if self.details and self.steps > MAX_DETAIL_STEPS:
            raise ValueError(f"details are available for steps ≤ {MAX_DETAIL_STEPS}, got steps = {self.steps}")
        if self.start is None:
            self.start = list(self.surface.surface.default_start)
        check_closure_evals(self.optimizers, self.steps)
        return self


Vectors = list[list[float | None]] | None


class RunDetails(BaseModel):
    """Row t describes update t (x_t → x_{t+1}); see engine/details.py."""

    grad: Vectors = Field(description="gradient used by update t (noise included)")
    gd_step: Vectors = Field(description="−η_t·g_t, the plain GD step")
    update: Vectors = Field(description="x_{t+1} − x_t, the step taken")
    momentum: Vectors = Field(description="update − gd_step (SGD family with momentum), else null")
    velocity: Vectors = Field(description="momentum buffer after update t, where the method has one")
    effective_lr: Vectors = Field(description="per-coordinate step size, e.g. η/(√v̂+ε) for Adam")
    textbook_point: Vectors = Field(description="Nesterov: Bishop's iterate x_t + ημb_{t−1} (x_t is its look-ahead)")
    extras: dict[str, Any] = Field(default_factory=dict, description=(
        "what the optimizer module declares for teaching (its `explain`), one row per update: e.g. sign_step "
        "(Lion, Rprop: the sign step −η·sign(·)), trial_points and trial_values (L-BFGS: the points its line "
        "search evaluated), averaging_weight (Schedule-Free)"))
    state: dict[str, list[list[float | None]]] = Field(description="optimizer state arrays after each update")
    steps: int


class RunOut(BaseModel):
    optimizer: dict[str, Any] = Field(description="{name, label, every effective hyperparameter}")
    path: list[list[float | None]] = Field(description="path[0] = start, path[t] after t updates")
    loss: list[float | None] = Field(description="f(path[t])")
    grad_norm: list[float | None] = Field(description="|∇f(path[t])| (without noise)")
    lr: list[float | None] = Field(description="lr[t] = lr·factor(t), used by update t+1 (one entry fewer than path)")
    status: Literal["converged", "max_steps", "diverged"] = Field(description=(
        "\"diverged\" if the run stopped early by the divergence rule, else \"converged\" if the final "
        "gradient norm is below 1e-6, else \"max_steps\". " + DIVERGENCE_RULE))
    steps_taken: int = Field(description="updates kept (= steps unless diverged)")
    aux_path: list[list[float | None]] | None = Field(default=None, description=(
        "a second line beside the path, aligned with it (aux_path[0] = start): ASGD's averaged point x̄ "
        "(torch's state['ax']); Schedule-Free's evaluation point x (the path is the train point y where "
        "gradients are taken); absent for other optimizers"))
    func_evals: list[float | None] | None = Field(default=None, description=(
        "L-BFGS: function evaluations so far at path[t] (torch's state['func_evals']; func_evals[0] = 0), so "
        "func_evals[t+1] − func_evals[t] is the cost of update t+1; absent for other optimizers"))
    details: RunDetails | None = Field(default=None, description="per-update anatomy, when requested")


class RunResponse(BaseModel):
    surface: dict[str, Any]
    start: list[float]
    steps: int
    schedule: dict[str, Any]
    runs: list[RunOut]
    theory: dict[str, Any] = Field(description="closed-form theory for constant-Hessian surfaces, else {}")


def surface_echo(ref: SurfaceRef) -> dict[str, Any]:
    surface = ref.surface
    out: dict[str, Any] = {"name": ref.name, "params": dict(surface.p)}
    if ref.expr is not None:
        out["expr"] = ref.expr
    (xlo, xhi), (ylo, yhi) = surface.domain
    out["domain"] = {"x": [xlo, xhi], "y": [ylo, yhi]}
    return out


def header(body: RunRequest) -> dict[str, Any]:
    """The fields every run response (and the stream's meta line) starts with."""
    return {"surface": surface_echo(body.surface), "start": body.start, "steps": body.steps,
            "schedule": body.schedule.describe()}


def run_out(spec: OptimizerSpec, result) -> dict[str, Any]:
    return {"optimizer": spec.describe(), "path": result.path, "loss": result.loss,
            "grad_norm": result.grad_norm, "lr": result.lr, "status": result.status,
            "steps_taken": result.steps_taken, **getattr(result, "aux", {})}
