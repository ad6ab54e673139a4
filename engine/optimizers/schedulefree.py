"""Schedule-Free SGD and AdamW (Defazio et al. 2024), exactly as the `schedulefree` package's
SGDScheduleFree and AdamWScheduleFree in train mode (foreach=False).

Three sequences: z (the base SGD/Adam steps), x (their weighted average: the evaluation point,
what `.eval()` puts in the model) and y = (1 − β) z + β x, where gradients are taken (train mode).
The path is y; x is the run's `aux_path`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.adam import BETAS
from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, eps_param, lerp, lr_param
from engine.params import Param


class ScheduleFreeState(NamedTuple):
    step: int  # k, updates so far
    z: np.ndarray  # the base sequence, starts at x₀
    v: np.ndarray  # AdamW's exp_avg_sq (stays 0 for SGD)
    weight_sum: np.ndarray | float  # Σ w_i of the averaging weights
    lr_max: np.ndarray | float  # the largest warmed-up η so far (starts at −1)


def _averaging(k, lr, lr_max, weight_sum, warmup_steps, r, weight_lr_power):
    """Warmed-up η_k and the averaging weight c = w_k / Σ w_i with w_k = (k+1)^r · η_max^p."""
    if np.ndim(warmup_steps) == 0:
        sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            sched = np.where(k < warmup_steps, (k + 1) / np.maximum(warmup_steps, 1), 1.0)
    lr = lr * sched
    lr_max = np.maximum(lr, lr_max)
    weight = ((k + 1) ** r) * (lr_max**weight_lr_power)
    weight_sum = weight_sum + weight
    with np.errstate(divide="ignore", invalid="ignore"):  # the library: ZeroDivisionError → 0
        ckp1 = np.where(weight_sum == 0, 0.0, weight / weight_sum)
    return lr, lr_max, weight_sum, ckp1


def _schedule_free(name, hparams, beta, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power,
                   adaptive: bool) -> Optimizer:
    def init(params):
        params = np.array(params, dtype=float)
        return ScheduleFreeState(0, params, np.zeros_like(params), 0.0, -1.0)

    def update(grads, state, params, lr):
        k = state.step
        lr, lr_max, weight_sum, ckp1 = _averaging(k, lr, state.lr_max, state.weight_sum, warmup_steps, r,
                                                  weight_lr_power)
        v = state.v
        if adaptive:
            v = state.v * beta2 + (1.0 - beta2) * grads * grads
            grads = grads / (np.sqrt(v / (1.0 - beta2 ** (k + 1))) + eps)
        g = grads + weight_decay * params  # L2 at y (after the normalization for AdamW)
        y = lerp(params, state.z, ckp1)
        y = y + (lr * (beta * (1.0 - ckp1) - 1.0)) * g
        z = state.z + (-lr) * g
        return y, ScheduleFreeState(k + 1, z, v, weight_sum, lr_max)

    def aux(state, params):
        # the library's .eval(): x = lerp(y, z, 1 − 1/β), the inverse of y = (1 − β) z + β x
        return {"aux_path": lerp(params, state.z, 1.0 - 1.0 / beta)}

    def explain(grads, prev, new, params, lr):
        lr_k, _, _, ckp1 = _averaging(prev.step, lr, prev.lr_max, prev.weight_sum, warmup_steps, r, weight_lr_power)
        # the coefficient of −g in y's update (besides the pull c·(z − y) toward z)
        coeff = lr_k * (1.0 - beta * (1.0 - ckp1)) * np.ones_like(params)
        if adaptive:
            coeff = coeff / (np.sqrt(new.v / (1.0 - beta2**new.step)) + eps)
        return {"averaging_weight": ckp1 * np.ones(np.shape(params)[:-1]), "effective_lr": coeff}

    return Optimizer(init, update, name, hparams, aux=aux, explain=explain)


def sgd_schedulefree(lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0) -> Optimizer:
    """Schedule-Free SGD, schedulefree.SGDScheduleFree(lr, momentum, weight_decay, warmup_steps, r,
    weight_lr_power), in train mode.

    With k = 0, 1, ... the index of this update, y the iterate (where g = ∇f(y) is taken):
        η_k = η · min(1, (k+1)/warmup_steps);   η_max = max(η_max, η_k)
        w_k = (k+1)^r · η_max^p;   c = w_k / Σ_{i≤k} w_i
        g ← g + wd·y;   y ← (1 − c) y + c z − η_k (1 − β(1 − c)) g;   z ← z − η_k g
        evaluation point x = y + (1 − 1/β)(z − y)   (z₀ = y₀ = x₀)
    Defaults: η = 1.0, β = momentum = 0.9, wd = 0, warmup_steps = 0, r = 0, p = weight_lr_power = 2.
    Traps: no learning-rate schedule is meant to be used (warmup is built in), the loss you should
    report is at x, not at the path y, and β must lie in (0, 1).
    """
    if np.ndim(momentum) == 0 and not 0.0 < momentum < 1.0:
        raise ValueError(f"optimizer 'sgd_schedulefree': momentum must be in (0, 1), got {momentum!r}")
    hparams = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "warmup_steps": warmup_steps,
               "r": r, "weight_lr_power": weight_lr_power}
    return _schedule_free("sgd_schedulefree", hparams, momentum, 0.0, 0.0, weight_decay, warmup_steps, r,
                          weight_lr_power, adaptive=False)


def adamw_schedulefree(lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                       weight_lr_power=2.0) -> Optimizer:
    """Schedule-Free AdamW, schedulefree.AdamWScheduleFree(lr, betas, eps, weight_decay, warmup_steps,
    r, weight_lr_power), in train mode.

    As `sgd_schedulefree` with β = β₁ and the gradient normalized first:
        v ← β₂ v + (1 − β₂) g²;   ĝ = g / (√(v / (1 − β₂^(k+1))) + ε);   ĝ ← ĝ + wd·y
        y ← (1 − c) y + c z − η_k (1 − β₁(1 − c)) ĝ;   z ← z − η_k ĝ
    Defaults: η = 0.0025, betas = (0.9, 0.999), ε = 1e-8, wd = 0, warmup_steps = 0, r = 0, p = 2.
    Trap: no first-moment buffer: the momentum is the interpolation between z and the average x.
    """
    beta1, beta2 = betas
    if np.ndim(beta1) == 0 and not 0.0 < beta1 < 1.0:
        raise ValueError(f"optimizer 'adamw_schedulefree': betas[0] must be in (0, 1), got {beta1!r}")
    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "weight_decay": weight_decay,
               "warmup_steps": warmup_steps, "r": r, "weight_lr_power": weight_lr_power}
    return _schedule_free("adamw_schedulefree", hparams, beta1, beta2, eps, weight_decay, warmup_steps, r,
                          weight_lr_power, adaptive=True)


WARMUP = Param("warmup_steps", 0, 0, 1_000_000, "linear warmup: η_k = η·(k+1)/warmup_steps for k < warmup_steps",
               kind="int")
R = Param("r", 0.0, 0.0, 10.0, "polynomial weighting (k+1)^r of the average")
WEIGHT_LR_POWER = Param("weight_lr_power", 2.0, 0.0, 10.0, "average weights ∝ η_max^p (matters during warmup)")
_RULE = (r"c_{k+1} = \frac{w_k}{\sum_{i\le k} w_i},\quad y_{k+1} = (1-c_{k+1})\,y_k + c_{k+1} z_k"
         r" - \eta_k\bigl(1 - \beta(1-c_{k+1})\bigr)\,g_k,\quad z_{k+1} = z_k - \eta_k g_k")

INFOS = (
    OptimizerInfo(
        "sgd_schedulefree", sgd_schedulefree,
        (lr_param(1.0), Param("momentum", 0.9, 0.0, 0.999, "interpolation β between z and the average x, in (0, 1)",
                                     exclusive_min=True),
         WEIGHT_DECAY, WARMUP, R, WEIGHT_LR_POWER),
        _RULE + r",\quad x = y + (1 - 1/\beta)(z - y)",
        "schedulefree.SGDScheduleFree(lr, momentum, weight_decay, warmup_steps, r, weight_lr_power)",
        "Schedule-Free SGD", demo={"lr": 0.03}),
    OptimizerInfo(
        "adamw_schedulefree", adamw_schedulefree,
        (lr_param(0.0025), BETAS, eps_param(1e-8), WEIGHT_DECAY, WARMUP, R, WEIGHT_LR_POWER),
        r"\hat g_k = \frac{g_k}{\sqrt{v_k/(1-\beta_2^{k+1})} + \epsilon},\quad " + _RULE.replace("g_k", r"\hat g_k"),
        "schedulefree.AdamWScheduleFree(lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power)",
        "Schedule-Free AdamW", demo={"lr": 0.3}),
)
