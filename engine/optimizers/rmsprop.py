"""RMSprop, exactly as torch.optim.RMSprop (plain, centered, with momentum)."""

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


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray  # r, running mean of g², starts at 0
    grad_avg: np.ndarray  # running mean of g (centered only; stays 0 otherwise)
    buf: np.ndarray  # momentum buffer b, starts at 0


def rmsprop(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0) -> Optimizer:
    """RMSprop (Hinton 2012), torch.optim.RMSprop(lr, alpha, eps, weight_decay, momentum, centered).

        g ← ∇f(x) + wd·x
        r ← α r + (1 − α) g²                          (r₀ = 0: no bias correction)
        centered:  m ← m + (1 − α)(g − m),  a = √(r − m²) + ε     (m₀ = 0)
        otherwise: a = √r + ε
        b ← μ b + g / a                               (b₀ = 0)
        x ← x − η b
    Defaults: η = 0.01, α = 0.99, ε = 1e-8, μ = 0, centered = false, wd = 0.
    Traps: torch's α is Bishop's β (7.41, typical 0.9; torch 0.99), ε is outside the root, and
    with μ = 0 the rule is x ← x − η g/a (the buffer is then just g/a). r starts at 0, so the
    first step is g/(√(1−α)|g|) ≈ 10·η·sign(g) for α = 0.99, not η.
    """
    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return RMSpropState(0, zeros, zeros, zeros)

    def update(grads, state, params, lr):
        g = add_weight_decay(grads, params, weight_decay)
        square_avg = alpha * state.square_avg + (1.0 - alpha) * g * g
        if centered:
            grad_avg = state.grad_avg + (1.0 - alpha) * (g - state.grad_avg)  # torch's lerp
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            grad_avg = state.grad_avg
            avg = np.sqrt(square_avg) + eps
        buf = momentum * state.buf + g / avg
        return params - lr * buf, RMSpropState(state.step + 1, square_avg, grad_avg, buf)

    hparams = {"lr": lr, "alpha": alpha, "eps": eps, "momentum": momentum,
               "centered": centered, "weight_decay": weight_decay}
    return Optimizer(init, update, "rmsprop", hparams)


INFOS = (
    OptimizerInfo(
        "rmsprop", rmsprop,
        (lr_param(0.01),
         Param("alpha", 0.99, 0.0, 0.9999, "decay α of the running mean of g² (Bishop's β)"),
         eps_param(1e-8),
         Param("momentum", 0.0, 0.0, 0.999, "momentum μ applied to the normalized step"),
         Param("centered", False, kind="bool", description="divide by the running std √(E[g²] − E[g]²)"),
         WEIGHT_DECAY),
        r"r_t = \alpha r_{t-1} + (1-\alpha) g_t^2,\quad b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{r_t} + \epsilon},"
        r"\quad x_{t+1} = x_t - \eta\, b_t",
        "torch.optim.RMSprop(lr, alpha, eps, momentum=momentum, centered=centered)",
        "RMSprop",
    ),
)
