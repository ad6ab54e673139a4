"""Adagrad, exactly as torch.optim.Adagrad."""

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


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray  # running sum of squared gradients r, starts at initial_accumulator_value


def adagrad(lr=0.01, lr_decay=0.0, eps=1e-10, initial_accumulator_value=0.0, weight_decay=0.0) -> Optimizer:
    """Adagrad (Duchi et al. 2011), torch.optim.Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps).

    With t = 1, 2, ... the index of this update:
        g ← ∇f(x) + wd·x
        η_t = η / (1 + (t − 1)·lr_decay)
        r ← r + g²                      (r₀ = initial_accumulator_value, not 0 if set)
        x ← x − η_t · g / (√r + ε)
    Defaults: η = 0.01, lr_decay = 0, ε = 1e-10, initial_accumulator_value = 0, wd = 0.
    Traps: ε is added *outside* the square root (Bishop 7.40's δ), and the internal decay uses
    t − 1, so the first update uses the full η. `lr` given to `update` is the scheduled η
    (a schedule and lr_decay compound, as in torch).
    """
    def init(params):
        params = np.asarray(params, dtype=float)
        return AdagradState(0, np.zeros_like(params) + initial_accumulator_value)

    def update(grads, state, params, lr):
        step = state.step + 1
        g = add_weight_decay(grads, params, weight_decay)
        clr = lr / (1.0 + (step - 1) * lr_decay)
        total = state.sum + g * g
        std = np.sqrt(total) + eps
        return params - clr * (g / std), AdagradState(step, total)

    hparams = {"lr": lr, "lr_decay": lr_decay, "eps": eps,
               "initial_accumulator_value": initial_accumulator_value, "weight_decay": weight_decay}
    return Optimizer(init, update, "adagrad", hparams)


INFOS = (
    OptimizerInfo(
        "adagrad", adagrad,
        (lr_param(0.01),
         Param("lr_decay", 0.0, 0.0, 10.0, "internal decay: η_t = η/(1 + (t−1)·lr_decay)"),
         eps_param(1e-10),
         Param("initial_accumulator_value", 0.0, 0.0, 100.0, "starting value r₀ of the squared-gradient sum"),
         WEIGHT_DECAY),
        r"r_t = r_{t-1} + g_t^2,\quad x_{t+1} = x_t - \frac{\eta}{1 + (t-1)\,\mathrm{lr\_decay}}"
        r"\,\frac{g_t}{\sqrt{r_t} + \epsilon}",
        "torch.optim.Adagrad(lr, lr_decay, eps=eps, initial_accumulator_value)",
        "AdaGrad",
    ),
)
