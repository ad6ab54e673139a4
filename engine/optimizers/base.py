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
`update(..., hessian=H)` with H shaped (..., d, d).
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


class OptimizerInfo(NamedTuple):
    """One registry row: the factory and what `/api/optimizers` says about it."""

    name: str
    factory: Callable[..., Optimizer]
    params: tuple[Param, ...]  # lr first; all hyperparameters with defaults and ranges
    rule: str  # LaTeX of the update
    torch: str  # the torch.optim equivalent
    title: str


# Shared parameter rows, so that every optimizer states the same ranges for the same thing.
def lr_param(default: float) -> Param:
    return Param("lr", default, 0.0, 100.0, "learning rate η", exclusive_min=True, log=True)


WEIGHT_DECAY = Param("weight_decay", 0.0, 0.0, 10.0, "L2 penalty added to the gradient (torch's weight_decay)")


def eps_param(default: float) -> Param:
    return Param("eps", default, 0.0, 1.0, "ε added to the denominator", log=True)


def add_weight_decay(grads: np.ndarray, params: np.ndarray, weight_decay: Any) -> np.ndarray:
    """torch's coupled weight decay: g ← g + λ·x (a no-op for λ = 0)."""
    return grads + weight_decay * params
