"""Adamax (Kingma & Ba 2015, §7.1), exactly as torch.optim.Adamax."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.adam import BETAS
from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, add_weight_decay, eps_param, lerp, lr_param


class AdamaxState(NamedTuple):
    step: int
    m: np.ndarray  # first moment (exp_avg), starts at 0
    u: np.ndarray  # exponentially weighted infinity norm (exp_inf), starts at 0


def adamax(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> Optimizer:
    """Adamax, torch.optim.Adamax(lr, betas, eps, weight_decay).

    With t = 1, 2, ... the index of this update:
        g ← ∇f(x) + wd·x
        m ← β₁ m + (1 − β₁) g                     (torch's lerp; m₀ = 0)
        u ← max(β₂ u, |g| + ε)                    (u₀ = 0)
        x ← x − (η / (1 − β₁ᵗ)) · m / u
    Defaults: η = 0.002, betas = (0.9, 0.999), ε = 1e-8, wd = 0.
    Trap: ε sits *inside* the max (|g| + ε), not added to the denominator afterwards, and only
    m is bias-corrected (the max needs no correction).
    """
    beta1, beta2 = betas

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return AdamaxState(0, zeros, zeros)

    def update(grads, state, params, lr):
        step = state.step + 1
        g = add_weight_decay(grads, params, weight_decay)
        m = lerp(state.m, g, 1.0 - beta1)
        u = np.maximum(state.u * beta2, np.abs(g) + eps)
        clr = lr / (1.0 - beta1**step)
        return params + (-clr * m) / u, AdamaxState(step, m, u)  # torch's addcdiv order

    def explain(grads, prev, new, params, lr):
        return {"effective_lr": lr / (1.0 - beta1**new.step) / new.u}

    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "weight_decay": weight_decay}
    return Optimizer(init, update, "adamax", hparams, explain=explain)


INFOS = (
    OptimizerInfo("adamax", adamax, (lr_param(0.002), BETAS, eps_param(1e-8), WEIGHT_DECAY),
                  r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),"
                  r"\quad x_{t+1} = x_t - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{u_t}",
                  "torch.optim.Adamax(lr, betas, eps, weight_decay)", "Adamax (infinity norm)", demo={"lr": 0.3}),
)
