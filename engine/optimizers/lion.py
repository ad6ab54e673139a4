"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), as lion_pytorch.Lion."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import Optimizer, OptimizerInfo, lr_param
from engine.params import Param


class LionState(NamedTuple):
    step: int
    m: np.ndarray  # exp_avg, starts at 0


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0) -> Optimizer:
    """Lion, lion_pytorch.Lion(lr, betas, weight_decay) (decoupled_weight_decay=False).

        x ← x (1 − η·wd)                                  (decoupled decay first)
        c = β₁ m + (1 − β₁) g;   x ← x − η sign(c)        (sign(0) = 0)
        m ← β₂ m + (1 − β₂) g                             (m₀ = 0)
    Defaults: η = 1e-4, betas = (0.9, 0.99), wd = 0.
    Traps: every coordinate moves by exactly η (or 0), whatever |g|: a sign method, so the
    quadratic theory has no rate for it; the interpolation for the step uses β₁ but the
    momentum is tracked with β₂, and the decay is decoupled (use ~10× AdamW's wd with ~0.1× its η).
    """
    beta1, beta2 = betas

    def init(params):
        return LionState(0, np.zeros_like(np.asarray(params, dtype=float)))

    def update(grads, state, params, lr):
        params = params * (1.0 - lr * weight_decay)
        direction = np.sign(state.m * beta1 + (1.0 - beta1) * grads)
        params = params + (-lr) * direction
        m = state.m * beta2 + (1.0 - beta2) * grads
        return params, LionState(state.step + 1, m)

    def explain(grads, prev, new, params, lr):
        step = -np.sign(prev.m * beta1 + (1.0 - beta1) * grads)
        return {"effective_lr": np.zeros_like(params) + lr, "sign_step": step * lr, "velocity": new.m}

    hparams = {"lr": lr, "betas": [beta1, beta2], "weight_decay": weight_decay}
    return Optimizer(init, update, "lion", hparams, explain=explain)


INFOS = (
    OptimizerInfo(
        "lion", lion,
        (lr_param(1e-4),
         Param("betas", (0.9, 0.99), 0.0, 0.9999, "(β₁, β₂): interpolation of the step, decay of the momentum",
               kind="pair"),
         Param("weight_decay", 0.0, 0.0, 10.0, "decoupled decay λ: x ← x(1 − ηλ) before the step")),
        r"x_{t+1} = x_t(1-\eta\lambda) - \eta\,\operatorname{sign}\bigl(\beta_1 m_t + (1-\beta_1) g_t\bigr),\quad "
        r"m_{t+1} = \beta_2 m_t + (1-\beta_2) g_t",
        "lion_pytorch.Lion(lr, betas, weight_decay)", "Lion (sign momentum)", demo={"lr": 0.1}),
)
