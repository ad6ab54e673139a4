"""Fair tuning: every optimizer gets the same budget of trials over a log-spaced lr range.

A trial is one run of `steps'` updates from the common start at one lr; the trials of a rung run
as one batch (lr shaped (N, 1)). The winner is the lr with the lowest final loss; losses within a
relative 1e-12 of the lowest count as tied and the smallest such lr wins (the stabler choice);
diverged trials have no loss and never win. Everything is deterministic (no noise).

Methods, with B = `budget`:
- "grid": B trials at lr = geomspace(lr_min, lr_max, B), each `steps` long: exactly B trials and
  B·steps trial-steps.
- "halving" (successive halving, Jamieson & Talwalkar 2016): B is a compute budget of B·steps
  trial-steps (what the grid spends). Rung r = 0..R−1 runs c_r = ⌈n₀/2^r⌉ candidates from scratch
  for s_r = max(1, ⌊steps / 2^(R−1−r)⌋) updates (the last rung runs the full `steps`) and keeps the
  best ⌈c_r/2⌉ (lowest loss, then smallest lr; diverged last). n₀ candidates are log-spaced over the
  range; (R ≤ 4, n₀) is the plan with the most candidates whose total Σ c_r·s_r ≤ B·steps (fewer
  rungs on ties), with at least two candidates in the last rung. R = 1 is the grid, so n₀ ≥ B.
  The trial-steps actually spent are reported (≤ B·steps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.analysis.phase import batched_optimizer
from engine.optimizers import make_optimizer
from engine.run import RunResult, run_batch, run_many
from engine.schedules import Schedule
from engine.surfaces import Surface

TIE_RTOL = 1e-12
MAX_RUNGS = 4
MAX_CANDIDATES_PER_BUDGET = 16  # search bound for n₀ in the halving plan
METHODS = ("grid", "halving")


@dataclass
class TuneResult:
    name: str
    method: str
    budget: int
    lr: np.ndarray  # (T,) every trial's lr, in the order run (rung by rung, lr ascending)
    steps: np.ndarray  # (T,) updates of each trial
    rung: np.ndarray  # (T,) rung of each trial (0 for the grid)
    final_loss: np.ndarray  # (T,) NaN where diverged
    diverged: np.ndarray  # (T,) bool
    candidates: int  # distinct lrs tried
    trial_steps: int  # Σ steps over trials
    best_lr: float | None  # None when every final trial diverged
    best_loss: float | None
    run: RunResult | None  # the full run at best_lr (what /api/run returns for it)


def pick_best(lrs: np.ndarray, losses: np.ndarray, diverged: np.ndarray) -> int | None:
    """Index of the lowest final loss, ties within a relative TIE_RTOL going to the smallest lr;
    None if every trial diverged."""
    valid = ~np.asarray(diverged, dtype=bool) & np.isfinite(losses)
    if not valid.any():
        return None
    best = np.min(losses[valid])
    tied = valid & (losses <= best + TIE_RTOL * abs(best))
    candidates = np.flatnonzero(tied)
    return int(candidates[np.argmin(lrs[candidates])])


def _plan_cost(n0: int, rungs: int, steps: int) -> tuple[list[tuple[int, int]], int]:
    plan = [(-(-n0 // 2**r), max(1, steps // 2 ** (rungs - 1 - r))) for r in range(rungs)]
    return plan, sum(c * s for c, s in plan)


def halving_plan(budget: int, steps: int) -> list[tuple[int, int]]:
    """[(candidates c_r, updates s_r)] per rung, as in the module docstring."""
    limit = budget * steps
    best: tuple[int, int] = (budget, 1)
    for rungs in range(2, MAX_RUNGS + 1):
        for n0 in range(2 ** (rungs - 1) + 1, MAX_CANDIDATES_PER_BUDGET * budget + 1):
            plan, cost = _plan_cost(n0, rungs, steps)
            if cost > limit:
                break  # the cost grows with n₀ for a fixed number of rungs
            if n0 > best[0]:
                best = (n0, rungs)
    return _plan_cost(*best, steps)[0]


def _trials(surface: Surface, start: np.ndarray, name: str, hparams: Mapping[str, Any] | None,
            lrs: np.ndarray, steps: int, schedule: Schedule | None) -> tuple[np.ndarray, np.ndarray]:
    """Final losses (NaN where diverged) and divergence flags of one batch of trials."""
    optimizer, values = batched_optimizer(name, hparams, {"lr": lrs[:, None]})
    result = run_batch(surface.grad, surface.value, optimizer, np.tile(start, (len(lrs), 1)), steps,
                       values["lr"], schedule=schedule, hessian_fn=surface.hessian)
    diverged = result.diverged_at >= 0
    return np.where(diverged, np.nan, result.final_loss), diverged


def tune(surface: Surface, start: Sequence[float], name: str, hparams: Mapping[str, Any] | None,
         steps: int, budget: int, lr_min: float, lr_max: float, method: str = "grid",
         schedule: Schedule | None = None) -> TuneResult:
    """Tune the lr of one optimizer (other hyperparameters from `hparams`, defaults otherwise)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if budget < 2:
        raise ValueError(f"budget must be at least 2, got {budget}")
    if not 0 < lr_min < lr_max:
        raise ValueError(f"lr_range needs 0 < min < max, got min={lr_min}, max={lr_max}")
    x0 = np.asarray(start, dtype=float).reshape(2)
    hparams = {k: v for k, v in (hparams or {}).items() if k != "lr"}
    plan = [(budget, steps)] if method == "grid" else halving_plan(budget, steps)
    lrs = np.geomspace(lr_min, lr_max, plan[0][0])
    loss, diverged = _trials(surface, x0, name, hparams, lrs, plan[0][1], schedule)
    parts = [(lrs, np.full(len(lrs), plan[0][1]), np.zeros(len(lrs), dtype=int), loss, diverged)]
    for rung, (count, rung_steps) in enumerate(plan[1:], start=1):
        # survivors: lowest loss first, then smallest lr, diverged last; run in ascending lr
        order = np.lexsort((lrs, np.where(diverged, np.inf, loss)))
        lrs = np.sort(lrs[order][:count])
        loss, diverged = _trials(surface, x0, name, hparams, lrs, rung_steps, schedule)
        parts.append((lrs, np.full(count, rung_steps), np.full(count, rung), loss, diverged))
    best = pick_best(lrs, loss, diverged)  # among the last rung, which ran the full `steps`
    best_lr = None if best is None else float(lrs[best])
    run = None
    if best_lr is not None:
        (run,) = run_many(surface, [make_optimizer(name, {**hparams, "lr": best_lr})], x0, steps, schedule)
    all_lrs, all_steps, all_rungs, all_loss, all_diverged = (np.concatenate(p) for p in zip(*parts, strict=True))
    return TuneResult(name, method, budget, all_lrs, all_steps, all_rungs, all_loss, all_diverged,
                      candidates=plan[0][0], trial_steps=int(all_steps.sum()), best_lr=best_lr,
                      best_loss=None if best is None else float(loss[best]), run=run)
