"""The optimizer interface: pure `init`/`update` functions over immutable state.

    opt = adam(lr=1e-3)
    state = opt.init(params)                                   # params: (..., d)
    params, state = opt.update(grads, state, params, lr)       # one step, all starts at once

`lr` is the scheduled learning rate of this update (a float, or an array broadcastable
against `params`, e.g. shape (N, 1) to give each of N starts its own η). Every other
hyperparameter may likewise be an array broadcastable against `params` (the phase
diagram runs a whole (η, μ) grid as one batch), so update rules are written with plain
array arithmetic, never `if hyper == 0` branches on values.

Optimizers that need curvature (`needs_hessian=True`, i.e. Newton) receive the Hessian as
`update(..., hessian=H)` with H shaped (..., d, d). Optimizers that evaluate the function
several times per step (`needs_closure=True`, i.e. L-BFGS: one update = one torch
`.step(closure)`) receive `update(..., closure=fn)` with fn(x) -> (f(x), ∇f(x)) for x (..., d).

`aux(state, params)`, when an optimizer defines it, returns extra per-iterate arrays the runner records
beside the path (aligned with it: `aux(init(x0), x0)` describes x0), e.g. ASGD's averaged point or
Schedule-Free's evaluation point as `{"aux_path": (..., d)}`, or L-BFGS's `{"func_evals": (...)}`.
`explain(grads, prev_state, new_state, params, lr)`, when defined, returns the per-step teaching
extras of `engine.details` (effective step sizes, sign steps, line-search trial points, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from engine.params import Param


class Optimizer(NamedTuple):
    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    name: str
    hparams: dict[str, Any]  # every effective hyperparameter, for display and reproducibility
    needs_hessian: bool = False
    needs_closure: bool = False  # update(..., closure=fn): several evaluations per step (L-BFGS)
    aux: Callable[[Any, np.ndarray], dict[str, np.ndarray]] | None = None  # extra per-iterate arrays (see above)
    explain: Callable[..., dict[str, Any]] | None = None  # per-step teaching extras (engine.details)
    evals_per_step: int = 1  # at most this many f/∇f evaluations per update (L-BFGS: max_eval)


# A multi-evaluation optimizer steps each start in Python (its line search branches per start), so a run
# may spend at most this many evaluations in all: steps × evals_per_step per run (checked by the API before
# it starts), starts × updates × evals_per_step per batch (checked by the optimizer as it goes).
MAX_CLOSURE_EVALS = 20_000


class OptimizerInfo(NamedTuple):
    """One registry row: the factory and what `/api/optimizers` says about it."""

    name: str
    factory: Callable[..., Optimizer]
    params: tuple[Param, ...]  # lr first; all hyperparameters with defaults and ranges
    rule: str  # LaTeX of the update
    torch: str  # the torch.optim equivalent
    title: str
    # hyperparameters that show something on the page's default scene (torch's defaults may barely move);
    # the page's "add optimizer" starts from them
    demo: dict[str, Any] | None = None


# Shared parameter rows, so that every optimizer states the same ranges for the same thing.
def lr_param(default: float) -> Param:
    return Param("lr", default, 0.0, 100.0, "learning rate η", exclusive_min=True, log=True)


WEIGHT_DECAY = Param("weight_decay", 0.0, 0.0, 10.0, "L2 penalty added to the gradient (torch's weight_decay)")


def eps_param(default: float) -> Param:
    return Param("eps", default, 0.0, 1.0, "ε added to the denominator", log=True)


def add_weight_decay(grads: np.ndarray, params: np.ndarray, weight_decay: Any) -> np.ndarray:
    """torch's coupled weight decay: g ← g + λ·x (a no-op for λ = 0)."""
    return grads + weight_decay * params


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """torch.lerp as its CPU kernel rounds it: start + w·(end − start) for |w| < 0.5, else
    end − (end − start)·(1 − w). Weights may be arrays (phase grids), hence no value branch."""
    if np.ndim(weight) == 0:
        if abs(weight) < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1.0 - weight)
    diff = end - start
    return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1.0 - weight))


def vec_norm(v: np.ndarray) -> np.ndarray:
    """‖v‖₂ over the last axis, summed coordinate by coordinate for small d (a start's numbers must
    not depend on its batch: no BLAS, no reduction kernel chosen by shape)."""
    d = v.shape[-1]
    if d > 8:
        return np.sqrt(np.sum(v * v, axis=-1))
    total = v[..., 0] * v[..., 0]
    for k in range(1, d):
        total = total + v[..., k] * v[..., k]
    return np.sqrt(total)
