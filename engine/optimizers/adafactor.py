"""Adafactor (Shazeer & Stern 2018), exactly as torch.optim.Adafactor for a parameter vector."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import Optimizer, OptimizerInfo, lerp, lr_param, vec_norm
from engine.params import Param

FLOAT64_EPS = float(np.finfo(np.float64).eps)  # torch's eps1 = None: the dtype's machine epsilon


class AdafactorState(NamedTuple):
    step: int
    variance: np.ndarray  # running mean of g², starts at 0


def adafactor(lr=0.01, beta2_decay=-0.8, eps=(FLOAT64_EPS, 1e-3), d=1.0, weight_decay=0.0) -> Optimizer:
    """Adafactor, torch.optim.Adafactor(lr, beta2_decay, eps=(ε₁, ε₂), d, weight_decay), on a vector
    (for a vector torch keeps the full second moment: nothing to factor).

    With t = 1, 2, ... the index of this update and n = the vector's length:
        ρ_t = min(η, 1/√t);   α_t = max(ε₂, ‖x‖/√n) · ρ_t           (relative step, from x before decay)
        x ← x (1 − η·wd)                                             (decoupled decay)
        v ← v + t^c (g² − v)          (c = beta2_decay: β₂,t = 1 − t^c; v₁ = g²)
        u = g / √max(v, ε₁²);   x ← x − α_t / max(1, ‖u‖/(√n·d)) · u
    Defaults: η = 0.01, c = −0.8, eps = (float64 machine ε, 1e-3), d = 1, wd = 0.
    Traps: the step is relative to ‖x‖ (a start at the origin moves by ε₂·ρ_t only), η is capped
    by 1/√t, and the update is clipped to RMS ≤ d, so the first step has RMS exactly α₁.
    Networks here pass one flat weight vector, so matrices are not factored as torch would factor them.
    """
    eps1, eps2 = eps

    def init(params):
        return AdafactorState(0, np.zeros_like(np.asarray(params, dtype=float)))

    def update(grads, state, params, lr):
        step = state.step + 1
        n = params.shape[-1]
        one_minus_beta2 = float(step) ** beta2_decay
        rho = np.minimum(lr, 1.0 / (float(step) ** 0.5))
        # per-row norms keep a trailing axis so (N, 1) hyperparameters broadcast row by row
        alpha = np.maximum(eps2, vec_norm(params)[..., None] / (n**0.5)) * rho
        params = params * (1.0 - lr * weight_decay)
        variance = lerp(state.variance, grads * grads, one_minus_beta2)
        u = (1.0 / np.sqrt(np.maximum(variance, eps1 * eps1))) * grads  # torch: clamp_(min=ε₁²).rsqrt_() · g
        denom = np.maximum(1.0, vec_norm(u)[..., None] / ((n**0.5) * d))
        return params + (-alpha / denom) * u, AdafactorState(step, variance)

    def explain(grads, prev, new, params, lr):
        n = params.shape[-1]
        rho = np.minimum(lr, 1.0 / (float(new.step) ** 0.5))
        alpha = np.maximum(eps2, vec_norm(params)[..., None] / (n**0.5)) * rho
        scale = 1.0 / np.sqrt(np.maximum(new.variance, eps1 * eps1))
        denom = np.maximum(1.0, vec_norm(scale * grads)[..., None] / ((n**0.5) * d))
        return {"effective_lr": alpha / denom * scale}

    hparams = {"lr": lr, "beta2_decay": beta2_decay, "eps": [eps1, eps2], "d": d, "weight_decay": weight_decay}
    return Optimizer(init, update, "adafactor", hparams, explain=explain)


INFOS = (
    OptimizerInfo(
        "adafactor", adafactor,
        (lr_param(0.01),
         Param("beta2_decay", -0.8, -10.0, 0.0, "c in β₂,t = 1 − t^c (the second-moment decay)"),
         Param("eps", (FLOAT64_EPS, 1e-3), 0.0, 1.0, "(ε₁, ε₂): floor of v (as ε₁²) and of the RMS of x",
               kind="pair", log=True),
         Param("d", 1.0, 1.0, 1e6, "clipping threshold d of the update's RMS"),
         Param("weight_decay", 0.0, 0.0, 10.0, "decoupled decay λ: x ← x(1 − ηλ)")),
        r"\alpha_t = \max\!\bigl(\epsilon_2, \mathrm{RMS}(x_t)\bigr)\min\!\bigl(\eta, t^{-1/2}\bigr),\quad "
        r"v_t = v_{t-1} + t^{c}(g_t^2 - v_{t-1}),\quad u_t = \frac{g_t}{\sqrt{v_t}},\quad "
        r"x_{t+1} = x_t - \frac{\alpha_t\,u_t}{\max(1,\ \mathrm{RMS}(u_t)/d)}",
        "torch.optim.Adafactor(lr, beta2_decay, eps, d, weight_decay)", "Adafactor", demo={"lr": 0.1}),
)
