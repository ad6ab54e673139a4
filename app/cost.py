"""What a request will cost, in estimated seconds of one compute worker, before it runs.

The estimate follows what the engine really does: a lockstep run takes `steps` rounds of one
gradient call on k points plus k optimizer updates; a batched runner (basins, phase, tune) takes
`steps` rounds of a gradient and a value call on N points plus one vectorized update; a network
costs its multiply-adds (`NetworkTrainRequest.work`). The price of a gradient call is measured
on the surface itself, once per built-in surface or formula (a formula can be 100× a quadratic; a
built-in's parameters change its numbers, never its operations, so a dragged κ is not re-measured
at every value: that was a second trip through the workers, ~1-4 ms, per new surface): the best of three
timings (thread CPU time) at 1 and at 1024 points gives a fixed part and a per-point part. The engine constants
(one optimizer update, one batched point-update, one multiply-add) are settings, calibrated on
the reference machine by `bench/load.py --calibrate`. A run's optimizer that the compiled kernels
cover on its surface (engine/kernels) is priced at `cost_kernel_update_seconds` per update instead.

A request over `max_request_seconds` is a 422 that says by how much and what to lower
(`check_budget`); the estimate also sizes the compute queue (app/compute.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import EngineInputError
from app.settings import Budget, Settings
from engine import kernels
from engine.lru import LRU

STREAM_CHUNK_STEPS = Settings.model_fields["stream_chunk_steps"].default
_PROBE_SMALL = np.array([[0.3, -0.7]])
_PROBE_LARGE = np.random.default_rng(0).uniform(-2.0, 2.0, size=(1024, 2))


@dataclass(frozen=True)
class EvalCost:
    """Seconds of one gradient (or Hessian) call on n points: fixed + n × per_point."""

    grad_fixed: float
    grad_point: float
    hess_fixed: float
    hess_point: float

    def grad(self, n: float) -> float:
        return self.grad_fixed + n * self.grad_point

    def hessian(self, n: float) -> float:
        return self.hess_fixed + n * self.hess_point


_MEASURED = LRU(256)  # per-surface measurements (a formula's keyed by its text)


def _best(fn, points: np.ndarray) -> float:
    """Best of three, in this thread's CPU time: on a busy machine wall time would count the
    time other processes had the core, and the estimate would swing with the machine's load."""
    best = math.inf
    with np.errstate(all="ignore"):
        for _ in range(3):
            began = time.thread_time()
            fn(points)
            best = min(best, time.thread_time() - began)
    return best


def measure(surface) -> EvalCost:
    """Time the surface's gradient and Hessian at 1 and 1024 points (a few ms; run in a worker)."""
    out = []
    for fn in (surface.grad, surface.hessian):
        small, large = _best(fn, _PROBE_SMALL), _best(fn, _PROBE_LARGE)
        out += [small, max(0.0, large - small) / (len(_PROBE_LARGE) - 1)]
    return EvalCost(*out)


def _key(ref) -> Any:
    """A formula by its text; a built-in by its name alone (its parameters do not change what it computes)."""
    return ("custom", ref.expr) if ref.name == "custom" else (ref.name,)


def surface_cost(ref) -> EvalCost:
    """The measured cost of a compiled SurfaceRef's surface (cached per built-in name, or formula text)."""
    return _MEASURED.get(_key(ref), lambda: measure(ref.surface))


def cached_surface_cost(ref) -> EvalCost | None:
    """The measurement if there is one already (no work: callable on the event loop)."""
    return _MEASURED.peek(_key(ref))


# ---- per endpoint ---------------------------------------------------------------------------------

def lockstep(ev: EvalCost, limits: Budget, k: int, steps: int, newton: bool, compiled: int = 0) -> float:
    """k optimizers in lockstep from one start (`iterate_runs`) and `compiled` more that step in the
    compiled kernels (no gradient call of their own), plus f and |∇f| of every iterate."""
    per_step = ev.grad(k) + (ev.hessian(k) if newton else 0.0) + k * limits.cost_update_seconds if k else 0.0
    per_step += compiled * limits.cost_kernel_update_seconds
    n = k + compiled
    return steps * per_step + 2 * ev.grad_point * steps * n + steps * n * limits.cost_output_seconds


def batched(ev: EvalCost, limits: Budget, n: int, steps: int, newton: bool) -> float:
    """n starts (or cells, or trials) stepped as one batch (`run_batch`): ∇f and f per step."""
    per_step = 2 * ev.grad(n) + (ev.hessian(n) if newton else 0.0)
    return steps * (per_step + limits.cost_batch_step_seconds + n * limits.cost_batch_point_seconds)


# an optimizer that evaluates f several times per update (L-BFGS) steps each start in Python: one of its
# evaluations (closure call + its share of the two-loop recursion) costs about this much, measured
CLOSURE_EVAL_SECONDS = 2e-4


def closure_seconds(opt, ev: EvalCost, starts: int, steps: int) -> float:
    """Extra time of a multi-evaluation optimizer: starts × steps × evaluations per step."""
    if not opt.needs_closure:
        return 0.0
    return starts * steps * opt.evals_per_step * (2 * ev.grad_point + CLOSURE_EVAL_SECONDS)


def run_cost(body, ev: EvalCost, limits: Budget) -> float:
    newton = any(spec.optimizer.needs_hessian for spec in body.optimizers)
    surface = body.surface.surface
    compiled = sum(kernels.covers(surface, spec.optimizer) for spec in body.optimizers)
    seconds = lockstep(ev, limits, len(body.optimizers) - compiled, body.steps, newton, compiled)
    seconds += sum(closure_seconds(spec.optimizer, ev, 1, body.steps) for spec in body.optimizers)
    return seconds * (3 if getattr(body, "details", False) else 1)  # details: the anatomy of every update


def point_cost(body, ev: EvalCost, limits: Budget) -> float:
    return ev.grad(1) + ev.hessian(1)


def stream_cost(body, ev: EvalCost, limits: Budget, chunk_steps: int = STREAM_CHUNK_STEPS) -> float:
    """A streamed run: chunks of `chunk_steps` steps per optimizer, each shaped, serialized and handed
    over separately: a share of the compute (numpy path) or a price per line (compiled runs, where
    the lines cost more than the steps), whichever is more."""
    seconds = run_cost(body, ev, limits)
    lines = len(body.optimizers) * math.ceil(body.steps / chunk_steps)
    return max(seconds * limits.cost_stream_factor, seconds + lines * limits.cost_stream_line_seconds)


def grid_cost(body, ev: EvalCost, limits: Budget) -> float:
    points = body.n * body.n
    return ev.grad(points) + points * limits.cost_output_seconds


def basins_cost(body, ev: EvalCost, limits: Budget) -> float:
    return (batched(ev, limits, body.n * body.n, body.steps, body.optimizer.optimizer.needs_hessian)
            + closure_seconds(body.optimizer.optimizer, ev, body.n * body.n, body.steps))


def phase_cost(body, ev: EvalCost, limits: Budget) -> float:
    nx, ny = (a.n for a in body.axes.values())
    return (batched(ev, limits, nx * ny, body.steps, body.optimizer.optimizer.needs_hessian)
            + closure_seconds(body.optimizer.optimizer, ev, nx * ny, body.steps))


def tune_cost(body, ev: EvalCost, limits: Budget) -> float:
    from engine.analysis.tune import halving_plan

    plan = [(body.budget, body.steps)] if body.method == "grid" else halving_plan(body.budget, body.steps)
    total = 0.0
    for spec in body.optimizers:
        newton = spec.optimizer.needs_hessian
        total += sum(batched(ev, limits, count, steps, newton) + closure_seconds(spec.optimizer, ev, count, steps)
                     for count, steps in plan)
        total += lockstep(ev, limits, 1, body.steps, newton)  # the best lr's run
        total += closure_seconds(spec.optimizer, ev, 1, body.steps)
    return total


def network_cost(body, limits: Budget) -> float:
    return body.work()["total"] * limits.cost_mac_seconds


# ---- the budget ---------------------------------------------------------------------------------

LOWER = {
    "run": "steps or the number of optimizers (or use a cheaper surface)",
    "run/stream": "steps or the number of optimizers (or use a cheaper surface)",
    "grid": "n",
    "basins": "n or steps (or use a cheaper surface)",
    "phase": "the axes' n or steps (or use a cheaper surface)",
    "tune": "budget, steps or the number of optimizers (or use a cheaper surface)",
    "network": "steps, dataset n, hidden widths, optimizers, plane n or decision n",
}


def check_budget(seconds: float, limits: Budget, what: str) -> None:
    """422 when the estimate is over the per-request budget: by how much, and what to lower."""
    budget = limits.max_request_seconds
    if seconds > budget:
        raise EngineInputError(["body"], (
            f"too much work: this request would take about {seconds:.1f} s of compute, "
            f"{seconds / budget:.1f}× the per-request budget of {budget:g} s (max_request_seconds); "
            f"lower {LOWER.get(what, 'the request size')}"))
