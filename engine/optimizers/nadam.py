"""NAdam (Dozat 2016), exactly as torch.optim.NAdam (optionally with decoupled weight decay)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.adam import BETAS
from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, eps_param, lerp, lr_param
from engine.params import Param


class NAdamState(NamedTuple):
    step: int
    m: np.ndarray  # exp_avg, starts at 0
    v: np.ndarray  # exp_avg_sq, starts at 0
    mu_product: np.ndarray | float  # ∏ μ_i so far, starts at 1


def nadam(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=0.004,
          decoupled_weight_decay=False) -> Optimizer:
    """NAdam, torch.optim.NAdam(lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay).

    With t = 1, 2, ... the index of this update and ψ = momentum_decay:
        decoupled: x ← x (1 − η·wd), g ← ∇f(x_old);  else g ← ∇f(x) + wd·x
        μ_t = β₁ (1 − ½·0.96^(tψ)),  μ_{t+1} = β₁ (1 − ½·0.96^((t+1)ψ)),  P_t = μ₁⋯μ_t
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
        D = √(v / (1 − β₂ᵗ)) + ε
        x ← x − η (1 − μ_t)/(1 − P_t) · g/D − η μ_{t+1}/(1 − P_t μ_{t+1}) · m/D
    Defaults: η = 0.002, betas = (0.9, 0.999), ε = 1e-8, wd = 0, ψ = 0.004, decoupled = false.
    Trap: the momentum schedule μ_t warms up (μ₁ ≈ 0.4523 for β₁ = 0.9, ψ = 0.004), and the
    Nesterov look-ahead uses μ_{t+1}; m itself is still the plain β₁ average.
    """
    beta1, beta2 = betas

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return NAdamState(0, zeros, zeros, 1.0)

    def update(grads, state, params, lr):
        step = state.step + 1
        bias_correction2 = 1.0 - beta2**step
        if decoupled_weight_decay:
            params = params * (1.0 - lr * weight_decay)
            g = grads
        else:
            g = grads + weight_decay * params
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = state.mu_product * mu
        m = lerp(state.m, g, 1.0 - beta1)
        v = state.v * beta2 + (1.0 - beta2) * g * g
        denom = np.sqrt(v / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        params = params + ((-lr * mu_next) / (1.0 - mu_product_next)) * m / denom
        return params, NAdamState(step, m, v, mu_product)

    def explain(grads, prev, new, params, lr):
        return {"effective_lr": lr / (np.sqrt(new.v / (1.0 - beta2**new.step)) + eps)}

    hparams = {"lr": lr, "betas": [beta1, beta2], "eps": eps, "weight_decay": weight_decay,
               "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay}
    return Optimizer(init, update, "nadam", hparams, explain=explain)


INFOS = (
    OptimizerInfo(
        "nadam", nadam,
        (lr_param(0.002), BETAS, eps_param(1e-8), WEIGHT_DECAY,
         Param("momentum_decay", 0.004, 0.0, 1.0, "ψ of the momentum schedule μ_t = β₁(1 − ½·0.96^(tψ))"),
         Param("decoupled_weight_decay", False, kind="bool",
               description="decay x ← x(1 − η·wd) instead of adding wd·x to the gradient (NAdamW)")),
        r"\mu_t = \beta_1\bigl(1 - \tfrac12 0.96^{t\psi}\bigr),\quad D_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon,\quad "
        r"x_{t+1} = x_t - \eta\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{D_t}"
        r" - \eta\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{D_t}",
        "torch.optim.NAdam(lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay)",
        "NAdam (Nesterov Adam)", demo={"lr": 0.1}),
)
