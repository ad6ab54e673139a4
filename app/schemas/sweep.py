"""/api/sweep (+ /stream): the request, its validation through the single-training request models,
its price, and the plan of resolved single-training jobs the engine runs.

Every cell's request is the base request with the cell's values set, validated by the very model
that validates a single `/api/network/train` (or `/api/run`) body, so an out-of-range value, an
unknown path or a non-numeric target is the same 422 a single call would get, reported at the
axis that caused it. The plane, decision and details extras of the base are dropped (a sweep
reports per-training summaries, not landscapes).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from app.errors import EngineInputError
from app.limits import AtMost
from app.schemas.common import OPTIMIZER_ADAPTER, Strict
from app.schemas.network import NetworkTrainRequest
from app.schemas.params import Int
from app.schemas.runs import RunRequest
from app.settings import Limits
from engine.sweep import SEED_PATHS, PathError, axis_values, cell_request, parse_path, set_path
from engine.sweep import cells as grid_cells
from engine.sweep.theory import sweep_theory

MAX_AXIS_N = 101
SEED_MAX = 2**32 - 1
RUN_STEP_COST = 500  # one 2D optimizer step in multiply-adds (gradient, value, update), for pricing
DEFAULT_VARY = {"network": ["init", "data", "shuffle"], "run": ["noise"]}

EXAMPLE = {  # small on purpose: /docs "Try it out" and the schema fuzzer run it for real
    "base": {"kind": "network", "request": {
        "dataset": {"name": "moons", "n": 100}, "model": {"hidden": [8, 8]},
        "optimizers": [{"name": "momentum", "lr": 0.1, "momentum": 0.9}], "steps": 50}},
    "axes": [{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 3.0, "n": 3, "log": True}},
             {"path": "optimizers.0.momentum", "values": [0.0, 0.9]}],
    "seeds": {"count": 2, "vary": ["init", "data", "shuffle"]},
    "target_loss": 0.3,
}


class AxisRange(Strict):
    min: float = Field(ge=-1e9, le=1e9)
    max: float = Field(ge=-1e9, le=1e9)
    n: Int = Field(ge=1, le=MAX_AXIS_N, description=f"number of values (1..{MAX_AXIS_N})")
    log: bool = Field(default=False, description="geometric spacing (min and max > 0)")

    @model_validator(mode="after")
    def _check(self) -> AxisRange:
        if self.log and (self.min <= 0 or self.max <= 0):
            raise ValueError(f"a log range needs min > 0 and max > 0, got [{self.min}, {self.max}]")
        return self


class SweepAxis(Strict):
    """A numeric field of the base request (dotted path, list indices as numbers) and its values."""

    path: str = Field(min_length=1, max_length=200, examples=["optimizers.0.lr"], description=(
        "dotted path into base.request, e.g. optimizers.0.lr, optimizers.0.betas.0, batch_size, model.hidden.1, "
        "dataset.params.noise, schedule.gamma, noise.sigma, surface.params.kappa, start.0"))
    values: list[float | int] | None = Field(default=None, min_length=1, max_length=MAX_AXIS_N)
    range: AxisRange | None = None

    @model_validator(mode="after")
    def _one(self) -> SweepAxis:
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of 'values' (a list) or 'range' {min, max, n, log}")
        try:
            parse_path(self.path)
        except PathError as exc:
            raise ValueError(str(exc)) from None
        if any(not math.isfinite(v) for v in self.values or []):
            raise ValueError("values must be finite numbers")
        return self


class SeedsSpec(Strict):
    count: Annotated[Int, *AtMost("max_sweep_seeds")] = Field(default=1, ge=1,
                       description="replicates per cell; replicate j adds j to each varied seed")
    vary: list[Literal["init", "data", "shuffle", "noise"]] | None = Field(default=None, description=(
        "seeds that replicates vary: init (model.seed), data (dataset.seed), shuffle (shuffle_seed) for networks; "
        "noise (noise.seed) for runs. Default: all of the kind's seeds"))


class SweepBase(Strict):
    kind: Literal["network", "run"] = Field(description="network: a /api/network/train body; run: a /api/run body")
    request: dict[str, Any] = Field(description="the single-training body, with exactly one optimizer")


class SweepRequest(Strict):
    """A grid of 1–3 axes over numeric fields of a base training, `seeds.count` replicates per cell.

    Per seed: final_loss and accuracy (the last recorded values, as the single call's `final`),
    best_loss (the lowest recorded loss), steps_to_target, diverged_at and status: "diverged" by the
    single training's own rule, else "converged" (networks: target_loss reached; 2D runs: |∇f| < 1e-6
    as /api/run says) or "max_steps"; 2D runs add final_point and minimum (index into the surface's
    minima, −1 diverged, −2 none reached), networks with sharpness_every add lam_max at the last step.
    Per cell: median and IQR of final_loss with diverged seeds counted as +∞ (so null when most
    diverged), median accuracy of the seeds that did not diverge, diverged_fraction.
    """

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    base: SweepBase
    axes: list[SweepAxis] = Field(min_length=1, max_length=3)
    seeds: SeedsSpec = Field(default_factory=SeedsSpec)
    target_loss: float | None = Field(default=None, ge=-1e12, le=1e12, description=(
        "steps_to_target = the first recorded step with loss ≤ target_loss (null if never or not given)"))

    @model_validator(mode="after")
    def _distinct(self) -> SweepRequest:
        paths = [axis.path for axis in self.axes]
        if len(set(paths)) != len(paths):
            raise ValueError(f"axes must have distinct paths, got {paths}")
        return self


@dataclass
class Plan:
    """What the engine runs: one job per (cell, replicate), and how to put results back."""

    kind: str
    axes: list[dict[str, Any]]  # [{path, values}]
    cells: list[tuple[tuple[int, ...], dict[str, Any]]]
    count: int
    vary: list[str]
    jobs: list[dict[str, Any]] = field(default_factory=list)
    owners: list[tuple[int, int]] = field(default_factory=list)  # job -> (cell, replicate)
    work: list[int] = field(default_factory=list)  # job -> estimated multiply-adds
    requests: list[dict[str, Any]] = field(default_factory=list)  # cell -> its replicate-0 request
    theory: dict[str, Any] | None = None  # Phase's theory block for a 2D-run sweep over two hyperparameters

    @property
    def total_work(self) -> int:
        return sum(self.work)


def _model(kind: str):
    return NetworkTrainRequest if kind == "network" else RunRequest


def _prepared(kind: str, request: dict[str, Any]) -> dict[str, Any]:
    out = dict(request)
    if kind == "network":
        out["plane"], out["decision"] = None, None
    else:
        out["details"] = False
    return out


def _first_error(exc: ValidationError) -> tuple[list, str]:
    err = exc.errors()[0]
    if err["type"] == "extra_forbidden":
        return list(err["loc"]), "unknown field: no such setting in the base request"
    return list(err["loc"]), err["msg"]


def _validate(kind: str, request: dict[str, Any]):
    model = _model(kind).model_validate(request)
    if len(model.optimizers) != 1:
        raise EngineInputError(["body", "base", "request", "optimizers"],
                               f"a sweep's base has exactly one optimizer, got {len(model.optimizers)}")
    return model


def _optimizer(spec) -> dict[str, Any]:
    return {"name": spec.name, **spec.model_dump(exclude_none=True, exclude={"name", "label"})}


def _schedule(spec) -> dict[str, Any]:
    return {"name": spec.name, **spec.model_dump(exclude_none=True, exclude={"name"})}


def job_of(kind: str, model, target: float | None) -> tuple[dict[str, Any], int]:
    """The resolved single-training spec the engine runs, and its price in multiply-adds."""
    if kind == "network":
        m = model.model
        job = {"kind": "network",
               "dataset": {"name": model.dataset.name, "n": model.dataset.n, "seed": model.dataset.seed,
                           "params": dict(model.dataset.params)},
               "model": {"hidden": list(m.hidden), "activation": m.activation, "loss": m.loss, "init": m.init,
                         "sigma": m.sigma, "seed": m.seed},
               "optimizer": _optimizer(model.optimizers[0]), "schedule": _schedule(model.schedule),
               "steps": model.steps, "batch_size": model.batch_size, "shuffle_seed": model.shuffle_seed,
               "record_every": model.record_every,
               "sharpness_iters": model.sharpness_iters if model.sharpness_every else None,
               "target_loss": target}
        return job, model.work()["total"]
    ref = model.surface
    job = {"kind": "run",
           "surface": {"name": ref.name, "params": dict(ref.params), "expr": ref.expr,
                       "domain": None if ref.domain is None else {"x": list(ref.domain.x), "y": list(ref.domain.y)}},
           "start": list(model.start), "optimizer": _optimizer(model.optimizers[0]),
           "schedule": _schedule(model.schedule), "steps": model.steps,
           "noise": {"sigma": model.noise.sigma, "seed": model.noise.seed}, "target_loss": target}
    return job, model.steps * RUN_STEP_COST


def _with_seeds(job: dict[str, Any], kind: str, j: int, vary: list[str]) -> dict[str, Any]:
    if j == 0:
        return job
    out = {key: (dict(value) if isinstance(value, dict) else value) for key, value in job.items()}
    for name in vary:
        keys = SEED_PATHS[kind][name]
        if len(keys) == 1:
            out[keys[0]] = job[keys[0]] + j
        else:
            out[keys[0]][keys[1]] = job[keys[0]][keys[1]] + j
    return out


def plan(body: SweepRequest, limits: Limits) -> Plan:
    """Validate every cell through the single-training model and price the sweep (422s name the
    axis, the cell or the limit)."""
    kind = body.base.kind
    vary = body.seeds.vary if body.seeds.vary is not None else DEFAULT_VARY[kind]
    wrong = [name for name in vary if name not in SEED_PATHS[kind]]
    if wrong:
        raise EngineInputError(["body", "seeds", "vary"], (
            f"{wrong} are not seeds of a '{kind}' sweep; allowed: {', '.join(SEED_PATHS[kind])}"))
    base = _prepared(kind, body.base.request)
    try:
        _validate(kind, base)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise EngineInputError(["body", "base", "request", *loc], msg) from None
    shared: dict[str, tuple[dict[str, Any], int]] = {}  # cells that differ only in the optimizer
    axes = []
    for a, axis in enumerate(body.axes):
        where = ["body", "axes", a]
        try:
            values = axis_values(axis.model_dump())
        except ValueError as exc:
            raise EngineInputError([*where, "range"], str(exc)) from None
        for value in dict.fromkeys(values):
            request = cell_request(base, {})
            try:
                set_path(request, axis.path, value)
            except PathError as exc:
                raise EngineInputError([*where, "path"], str(exc)) from None
            _cell_job(kind, request, f"axis '{axis.path}' = {value!r}", limits, body.target_loss, shared, tuple(where))
        axes.append({"path": axis.path, "values": values})
    cells = grid_cells(axes)
    count = body.seeds.count
    if len(cells) > limits.max_sweep_cells:
        raise EngineInputError(["body", "axes"], (
            f"{len(cells)} cells; the limit max_sweep_cells is {limits.max_sweep_cells}"))
    out = Plan(kind, axes, cells, count, list(vary))
    for c, (_, values) in enumerate(cells):
        request = cell_request(base, values)
        job, work = _cell_job(kind, request, f"cell {values}", limits, body.target_loss, shared)
        for name in vary:
            if model_seed(job, kind, name) + count - 1 > SEED_MAX:
                raise EngineInputError(["body", "seeds", "count"], (
                    f"seed '{name}' + {count - 1} is over {SEED_MAX}"))
        out.requests.append(request)
        for j in range(count):
            out.jobs.append(_with_seeds(job, kind, j, vary))
            out.owners.append((c, j))
            out.work.append(work)
    if out.total_work > limits.max_sweep_work:
        raise EngineInputError(["body"], (
            f"too much work: {len(cells)} cells × {count} seeds ≈ {out.total_work:.2e} multiply-adds; the limit "
            f"max_sweep_work is {limits.max_sweep_work:.0e}; use fewer cells, seeds, steps or smaller networks"))
    if kind == "run":
        try:
            out.theory = sweep_theory(out.jobs[0], axes)
        except ValueError:  # theory is an extra: a grid Phase would refuse simply has none
            out.theory = None
    return out


def _cell_job(kind: str, request: dict[str, Any], label: str, limits: Limits, target: float | None,
              shared: dict[str, tuple[dict[str, Any], int]],
              where: tuple = ("body", "axes")) -> tuple[dict[str, Any], int]:
    """The cell's job, validated. Cells whose requests differ only in the optimizer's hyperparameters
    (the usual η × μ grid) share everything else: the whole request is validated once and each
    cell's optimizer spec on its own (the other fields do not depend on it), which keeps a
    4 000-cell plan well under a second instead of regenerating the dataset per cell."""
    rest = json.dumps({k: v for k, v in request.items() if k != "optimizers"}, sort_keys=True, default=str)
    try:
        if rest in shared:
            job, work = shared[rest]
            try:
                spec = OPTIMIZER_ADAPTER.validate_python(request["optimizers"][0])
            except ValidationError as exc:
                loc, msg = _first_error(exc)
                raise EngineInputError(list(where), (
                    f"{label}: {msg} (at optimizers.0.{'.'.join(map(str, loc))})")) from None
            return {**job, "optimizer": _optimizer(spec)}, work
        model = _validate(kind, request)
        if kind == "network":
            model.check_limits(limits)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise EngineInputError(list(where), f"{label}: {msg} (at {'.'.join(map(str, loc))})") from None
    except EngineInputError as exc:
        if exc.loc[:2] == ["body", "axes"] or exc.loc[:4] == ["body", "base", "request", "optimizers"]:
            raise
        raise EngineInputError(list(where), f"{label}: {exc.message}") from None
    shared[rest] = job_of(kind, model, target)
    return shared[rest]


def model_seed(job: dict[str, Any], kind: str, name: str) -> int:
    keys = SEED_PATHS[kind][name]
    return job[keys[0]] if len(keys) == 1 else job[keys[0]][keys[1]]
