"""Rprop (Riedmiller & Braun 1993), exactly as torch.optim.Rprop (the iRprop− variant)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import Optimizer, OptimizerInfo, lr_param
from engine.params import Param


class RpropState(NamedTuple):
    step: int
    prev: np.ndarray  # the previous (possibly zeroed) gradient, starts at 0
    step_size: np.ndarray  # per-coordinate step Δ, starts at η (the first update's η)


def rprop(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)) -> Optimizer:
    """Rprop, torch.optim.Rprop(lr, etas=(η−, η+), step_sizes=(Δmin, Δmax)).

    Per coordinate, with g = ∇f(x) and s = sign(g · g_prev):
        Δ ← clip(Δ · {η+ if s > 0, η− if s < 0, 1 if s = 0}, Δmin, Δmax)     (Δ₀ = η)
        where s < 0: g ← 0 (no move now, and no sign test at the next step)
        x ← x − sign(g) · Δ;   g_prev ← g
    Defaults: η = 0.01, etas = (0.5, 1.2), step_sizes = (1e-6, 50). Needs 0 < η− < 1 < η+.
    Traps: only the *sign* of the gradient moves x, so the step never depends on |g|; η is only
    the initial Δ (torch reads lr once, so a schedule has no effect after the first update).
    """
    etaminus, etaplus = etas
    step_size_min, step_size_max = step_sizes
    if np.ndim(etaminus) == 0 and np.ndim(etaplus) == 0 and not 0.0 < etaminus < 1.0 < etaplus:
        raise ValueError(f"optimizer 'rprop': etas must satisfy 0 < etaminus < 1 < etaplus, got {list(etas)}")
    if np.ndim(step_size_min) == 0 and np.ndim(step_size_max) == 0 and step_size_min > step_size_max:
        raise ValueError(f"optimizer 'rprop': step_sizes must be (min, max) with min ≤ max, got {list(step_sizes)}")

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return RpropState(0, zeros, zeros)

    def update(grads, state, params, lr):
        step_size = state.step_size
        if state.step == 0:  # torch fills Δ with the group's lr when it first sees the parameter
            step_size = np.zeros_like(params * lr) + lr
        sign = np.sign(grads * state.prev)
        factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, np.where(sign == 0, 1.0, sign)))
        step_size = np.clip(step_size * factor, step_size_min, step_size_max)
        g = np.where(factor == etaminus, 0.0, grads)
        return params + -1.0 * np.sign(g) * step_size, RpropState(state.step + 1, g, step_size)

    def explain(grads, prev, new, params, lr):
        return {"effective_lr": new.step_size, "sign_step": -np.sign(new.prev) * new.step_size}

    hparams = {"lr": lr, "etas": [etaminus, etaplus], "step_sizes": [step_size_min, step_size_max]}
    return Optimizer(init, update, "rprop", hparams, explain=explain)


INFOS = (
    OptimizerInfo(
        "rprop", rprop,
        (lr_param(0.01),
         Param("etas", (0.5, 1.2), 0.0, 10.0, "(η−, η+): step shrink on a sign flip, growth otherwise; "
               "0 < η− < 1 < η+", kind="pair"),
         Param("step_sizes", (1e-6, 50.0), 0.0, 1e6, "(Δmin, Δmax): bounds of each coordinate's step", kind="pair")),
        r"\Delta_t = \mathrm{clip}\bigl(\Delta_{t-1}\cdot\eta^{\pm},\ \Delta_{\min},\ \Delta_{\max}\bigr),\quad "
        r"x_{t+1} = x_t - \operatorname{sign}(g_t)\,\Delta_t",
        "torch.optim.Rprop(lr, etas, step_sizes)", "Rprop (sign steps)", demo={"lr": 0.1}),
)
