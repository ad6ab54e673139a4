"""Adadelta, exactly as torch.optim.Adadelta."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import (
    WEIGHT_DECAY,
    Optimizer,
    OptimizerInfo,
    add_weight_decay,
    eps_param,
    lr_param,
)
from engine.params import Param


class AdadeltaState(NamedTuple):
    step: int
    square_avg: np.ndarray  # v, running mean of g², starts at 0
    acc_delta: np.ndarray  # u, running mean of Δ², starts at 0


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> Optimizer:
    """Adadelta (Zeiler 2012), torch.optim.Adadelta(lr, rho, eps, weight_decay).

        g ← ∇f(x) + wd·x
        v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε) / √(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        x ← x − η Δ
    Defaults: η = 1.0, ρ = 0.9, ε = 1e-6, wd = 0.
    Traps: ε is *inside* both roots here (unlike Adam/Adagrad/RMSprop), and since u₀ = 0 the
    first step is only ≈ √ε/√(1−ρ) ≈ 3e-3 per coordinate: ε sets the initial step size, and
    torch keeps a learning rate η (Zeiler's rule is η = 1).
    """
    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return AdadeltaState(0, zeros, zeros)

    def update(grads, state, params, lr):
        g = add_weight_decay(grads, params, weight_decay)
        square_avg = rho * state.square_avg + (1.0 - rho) * g * g
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(state.acc_delta + eps) / std * g
        acc_delta = rho * state.acc_delta + (1.0 - rho) * delta * delta
        return params - lr * delta, AdadeltaState(state.step + 1, square_avg, acc_delta)

    hparams = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
    return Optimizer(init, update, "adadelta", hparams)


INFOS = (
    OptimizerInfo(
        "adadelta", adadelta,
        (lr_param(1.0),
         Param("rho", 0.9, 0.0, 1.0, "decay ρ of both running means"),
         eps_param(1e-6),
         WEIGHT_DECAY),
        r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}"
        r"{\sqrt{v_t + \epsilon}}\, g_t,\quad u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad "
        r"x_{t+1} = x_t - \eta\,\Delta_t",
        "torch.optim.Adadelta(lr, rho, eps)",
        "Adadelta",
    ),
)
