"""Adam and AdamW, exactly as torch.optim.Adam / torch.optim.AdamW (optionally AMSGrad)."""

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


class AdamState(NamedTuple):
    step: int
    m: np.ndarray  # first moment (exp_avg), starts at 0
    v: np.ndarray  # second moment (exp_avg_sq), starts at 0
    v_max: np.ndarray  # AMSGrad: running max of the raw v (stays 0 without amsgrad)


def _adam_step(betas, eps, amsgrad, decay_coupled, decay_decoupled):
    """The shared update; exactly one of the two weight decays is nonzero by construction."""
    beta1, beta2 = betas

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return AdamState(0, zeros, zeros, zeros)

    def update(grads, state, params, lr):
        step = state.step + 1
        params = params * (1.0 - lr * decay_decoupled)  # AdamW: decay before the Adam step
        g = add_weight_decay(grads, params, decay_coupled)
        m = state.m + (1.0 - beta1) * (g - state.m)  # torch's lerp, = β₁m + (1 − β₁)g
        v = beta2 * state.v + (1.0 - beta2) * g * g
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        # ε is added after the root and the bias correction, as torch does
        denom = np.sqrt(v_max if amsgrad else v) / bias_correction2**0.5 + eps
        step_size = lr / bias_correction1
        return params - step_size * (m / denom), AdamState(step, m, v, v_max)

    return init, update


def adam(lr=0.001, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, weight_decay=0.0) -> Optimizer:
    """Adam (Kingma & Ba 2015), torch.optim.Adam(lr, betas, eps, weight_decay, amsgrad).

    With t = 1, 2, ... the index of this update:
        g ← ∇f(x) + wd·x                          (coupled L2, unlike AdamW)
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²       (m₀ = v₀ = 0)
        amsgrad: v̂ ← max(v̂, v) and v̂ replaces v below (max of the *raw* v, torch's choice)
        x ← x − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
    Defaults: η = 0.001, betas = (0.9, 0.999), ε = 1e-8, amsgrad = false, wd = 0.
    Trap: ε is added *after* the square root and the bias correction (torch, Bishop 7.47), not
    inside the root nor before the correction. So the first step is η·g/(|g| + ε) ≈ η·sign(g) per
    coordinate: Adam is not rotation invariant.
    """
    beta1, beta2 = betas
    init, update = _adam_step(betas, eps, amsgrad, weight_decay, 0.0)
    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "amsgrad": amsgrad, "weight_decay": weight_decay}
    return Optimizer(init, update, "adam", hparams)


def adamw(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False) -> Optimizer:
    """AdamW (Loshchilov & Hutter 2019), torch.optim.AdamW(lr, betas, eps, weight_decay, amsgrad).

        x ← x (1 − η·wd)              (decoupled decay first, with the scheduled η)
        then the Adam step of `adam` on the unmodified gradient g = ∇f(x_old).
    Defaults: η = 0.001, betas = (0.9, 0.999), ε = 1e-8, wd = 0.01 (not 0), amsgrad = false.
    Trap: the decay is not added to the gradient, so it is not normalized by √v; the
    gradient is the one at the point before the decay (torch computes it before step()).
    """
    beta1, beta2 = betas
    init, update = _adam_step(betas, eps, amsgrad, 0.0, weight_decay)
    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}
    return Optimizer(init, update, "adamw", hparams)


BETAS = Param("betas", (0.9, 0.999), 0.0, 0.9999, "decays (β₁, β₂) of the first and second moments", kind="pair")
AMSGRAD = Param("amsgrad", False, kind="bool", description="AMSGrad: normalize by the running max of v")
_ADAM_RULE = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
              r"x_{t+1} = x_t - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}")

INFOS = (
    OptimizerInfo("adam", adam, (lr_param(0.001), BETAS, eps_param(1e-8), AMSGRAD, WEIGHT_DECAY),
                  _ADAM_RULE, "torch.optim.Adam(lr, betas, eps, amsgrad=amsgrad)", "Adam"),
    OptimizerInfo("adamw", adamw,
                  (lr_param(0.001), BETAS, eps_param(1e-8),
                   Param("weight_decay", 0.01, 0.0, 10.0, "decoupled decay λ: x ← x(1 − ηλ) before the step"),
                   AMSGRAD),
                  r"x \leftarrow x(1 - \eta\lambda),\quad " + _ADAM_RULE,
                  "torch.optim.AdamW(lr, betas, eps, weight_decay)", "AdamW (decoupled weight decay)"),
)
