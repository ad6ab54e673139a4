"""Averaged SGD (Polyak & Juditsky 1992), exactly as torch.optim.ASGD; the average is a second line."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, add_weight_decay, lr_param
from engine.params import Param


class ASGDState(NamedTuple):
    step: int
    eta: np.ndarray | float  # step size of the next update (torch's state['eta'])
    mu: np.ndarray | float  # averaging weight of the next update, starts at 1
    ax: np.ndarray  # the averaged point; starts at x₀ (torch's zeros are overwritten at μ = 1)


def asgd(lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0) -> Optimizer:
    """ASGD, torch.optim.ASGD(lr, lambd, alpha, t0, weight_decay).

    With t = 1, 2, ... the index of this update (η_1 = η, μ_1 = 1):
        g ← ∇f(x) + wd·x
        x ← x (1 − λ η_t) − η_t g
        x̄ ← x if μ_t = 1, else x̄ + μ_t (x − x̄)
        η_{t+1} = η / (1 + λ η t)^α,   μ_{t+1} = 1 / max(1, t − t₀)
    Defaults: η = 0.01, λ = 1e-4, α = 0.75, t₀ = 1e6, wd = 0.
    The path is the iterate x (where gradients are taken); the averaged point x̄ (torch's
    state['ax']) is the run's `aux_path`. Trap: with the default t₀ = 1e6 averaging never starts
    (x̄ = x) and the step size still decays as η/(1 + ληt)^0.75; η_{t+1} uses the current η of a
    schedule, so a schedule acts one update late.
    """
    def init(params):
        params = np.array(params, dtype=float)
        return ASGDState(0, np.nan, 1.0, params)

    def update(grads, state, params, lr):
        step = state.step + 1
        g = add_weight_decay(grads, params, weight_decay)
        eta = lr if state.step == 0 else state.eta  # torch sets eta = lr when it first sees the parameter
        params = params * (1.0 - lambd * eta)
        params = params + (-eta) * g
        mu = state.mu
        if np.ndim(mu) == 0:
            ax = params if mu == 1 else state.ax + (params - state.ax) * mu
        else:
            ax = np.where(mu == 1, params, state.ax + (params - state.ax) * mu)
        new_eta = lr / ((1.0 + lambd * lr * step) ** alpha)
        new_mu = 1.0 / np.maximum(1.0, step - t0)
        return params, ASGDState(step, new_eta, new_mu if np.ndim(new_mu) else float(new_mu), ax)

    def aux(state, params):
        return {"aux_path": state.ax}

    def explain(grads, prev, new, params, lr):
        eta = lr if prev.step == 0 else prev.eta
        return {"effective_lr": np.zeros_like(params) + eta}

    hparams = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay}
    return Optimizer(init, update, "asgd", hparams, aux=aux, explain=explain)


INFOS = (
    OptimizerInfo(
        "asgd", asgd,
        (lr_param(0.01),
         Param("lambd", 1e-4, 0.0, 10.0, "decay term λ (step size η/(1 + ληt)^α and shrink x ← x(1 − λη_t))"),
         Param("alpha", 0.75, 0.0, 10.0, "power α of the step-size decay"),
         Param("t0", 1e6, 0.0, 1e9, "the update after which averaging starts"),
         WEIGHT_DECAY),
        r"x_{t+1} = x_t(1 - \lambda\eta_t) - \eta_t g_t,\quad "
        r"\eta_{t+1} = \frac{\eta}{(1+\lambda\eta t)^{\alpha}},\quad "
        r"\bar x_{t+1} = \bar x_t + \mu_t (x_{t+1} - \bar x_t),\ \mu_{t+1} = \frac{1}{\max(1,\,t - t_0)}",
        "torch.optim.ASGD(lr, lambd, alpha, t0, weight_decay)", "ASGD (averaged SGD)", demo={"lr": 0.03}),
)
