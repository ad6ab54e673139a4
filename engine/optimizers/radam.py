"""RAdam (Liu et al. 2020), exactly as torch.optim.RAdam (optionally with decoupled weight decay)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.adam import BETAS
from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, eps_param, lerp, lr_param
from engine.params import Param


class RAdamState(NamedTuple):
    step: int
    m: np.ndarray  # exp_avg, starts at 0
    v: np.ndarray  # exp_avg_sq, starts at 0


def _rho(beta2, step):
    """ρ∞ and ρ_t, the length of the approximated SMA."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return rho_inf, rho_inf - 2.0 * step * (beta2**step) / (1.0 - beta2**step)


def _rect(beta2, step):
    """ρ_t > 5 (where the variance is trusted) and the rectification r_t there (1 elsewhere; torch
    only evaluates r_t where ρ_t > 5, and a negative base would make a complex number)."""
    rho_inf, rho_t = _rho(beta2, step)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
    if np.ndim(rho_t) == 0:
        return rho_t > 5.0, (ratio**0.5 if rho_t > 5.0 else 1.0)
    trusted = rho_t > 5.0
    return trusted, np.where(trusted, np.where(trusted, ratio, 1.0) ** 0.5, 1.0)


def radam(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False) -> Optimizer:
    """RAdam, torch.optim.RAdam(lr, betas, eps, weight_decay, decoupled_weight_decay).

    With t = 1, 2, ... the index of this update:
        decoupled: x ← x (1 − η·wd), g ← ∇f(x_old);  else g ← ∇f(x) + wd·x
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   m̂ = m / (1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρ_t = ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
        ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)),
                  x ← x − η m̂ · √(1 − β₂ᵗ)/(√v + ε) · r_t
        else:     x ← x − η m̂          (un-adapted momentum SGD while the variance is untrustworthy)
    Defaults: η = 0.001, betas = (0.9, 0.999), ε = 1e-8, wd = 0, decoupled = false.
    Trap: with β₂ = 0.999 the first five steps are plain SGD with momentum (ρ_t ≤ 5 until t = 6),
    so the first step is η·g, not Adam's η·sign(g).
    """
    beta1, beta2 = betas

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return RAdamState(0, zeros, zeros)

    def update(grads, state, params, lr):
        step = state.step + 1
        if decoupled_weight_decay:
            params = params * (1.0 - lr * weight_decay)
            g = grads
        else:
            g = grads + weight_decay * params
        m = lerp(state.m, g, 1.0 - beta1)
        v = state.v * beta2 + (1.0 - beta2) * g * g
        bias_correction2 = 1.0 - beta2**step
        m_hat = m / (1.0 - beta1**step)
        trusted, rect = _rect(beta2, step)
        plain = params + -1.0 * (m_hat * lr)
        if np.ndim(trusted) == 0 and not trusted:
            return plain, RAdamState(step, m, v)
        adaptive = (bias_correction2**0.5) / (np.sqrt(v) + eps)
        rectified = params + -1.0 * (m_hat * lr * adaptive * rect)
        return (np.where(trusted, rectified, plain) if np.ndim(trusted) else rectified), RAdamState(step, m, v)

    def explain(grads, prev, new, params, lr):
        trusted, rect = _rect(beta2, new.step)
        # the step size multiplying m̂, as Adam's η/(√v̂ + ε)
        adaptive = lr * (1.0 - beta2**new.step) ** 0.5 / (np.sqrt(new.v) + eps) * rect
        return {"effective_lr": np.where(trusted, adaptive, lr * np.ones_like(new.v))}

    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "weight_decay": weight_decay,
               "decoupled_weight_decay": decoupled_weight_decay}
    return Optimizer(init, update, "radam", hparams, explain=explain)


INFOS = (
    OptimizerInfo(
        "radam", radam,
        (lr_param(0.001), BETAS, eps_param(1e-8), WEIGHT_DECAY,
         Param("decoupled_weight_decay", False, kind="bool",
               description="decay x ← x(1 − η·wd) instead of adding wd·x to the gradient")),
        r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\quad x_{t+1} = x_t - \eta\,\hat m_t\cdot"
        r"\begin{cases} r_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon} & \rho_t > 5 \\ 1 & \text{else}\end{cases}",
        "torch.optim.RAdam(lr, betas, eps, weight_decay, decoupled_weight_decay)",
        "RAdam (rectified Adam)", demo={"lr": 0.03}),
)
