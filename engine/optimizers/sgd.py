"""SGD family: plain gradient descent, heavy-ball momentum and Nesterov, as torch.optim.SGD."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import WEIGHT_DECAY, Optimizer, OptimizerInfo, add_weight_decay, lr_param
from engine.params import Param


class SGDState(NamedTuple):
    step: int
    buf: np.ndarray  # momentum buffer b, zeros before the first step


def _sgd(name: str, lr, momentum, dampening, weight_decay, nesterov: bool) -> Optimizer:
    def init(params):
        return SGDState(0, np.zeros_like(np.asarray(params, dtype=float)))

    def update(grads, state, params, lr):
        g = add_weight_decay(grads, params, weight_decay)
        # torch initialises the buffer to g on the first step (no dampening); with
        # b₀ = 0 that is b₁ = μ·0 + (1 − dampening·[t>1])·g.
        damp = dampening if state.step > 0 else 0.0
        # torch skips the buffer entirely when μ = 0 (step = g, no dampening): mask, don't branch,
        # since μ may be an array
        damp = damp * (np.asarray(momentum) != 0)
        buf = momentum * state.buf + (1.0 - damp) * g
        direction = g + momentum * buf if nesterov else buf
        return params - lr * direction, SGDState(state.step + 1, buf)

    hparams = {"lr": lr, "momentum": momentum, "dampening": dampening,
               "weight_decay": weight_decay, "nesterov": nesterov}
    return Optimizer(init, update, name, hparams)


def gd(lr=0.01, weight_decay=0.0) -> Optimizer:
    """Gradient descent, torch.optim.SGD(lr, weight_decay).

    g ← ∇f(x) + wd·x;  x ← x − η g.   Defaults: η = 0.01, wd = 0.
    """
    def init(params):
        return SGDState(0, np.zeros(0))  # no velocity: torch keeps no buffer when momentum = 0

    def update(grads, state, params, lr):
        # the hot loop of basin maps and phase diagrams: two array operations, no buffer arithmetic
        return params - lr * add_weight_decay(grads, params, weight_decay), SGDState(state.step + 1, state.buf)

    return Optimizer(init, update, "gd", {"lr": lr, "weight_decay": weight_decay})


def momentum(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0) -> Optimizer:
    """Heavy ball, torch.optim.SGD(lr, momentum, dampening, weight_decay).

    g ← ∇f(x) + wd·x;  b ← μ b + (1 − τ) g  (b₁ = g: no dampening τ on the first step);
    x ← x − η b.   Defaults: η = 0.01, μ = 0.9, τ = 0, wd = 0.
    With τ = 0 and a constant η this equals Bishop's Δx_t = −η g + μ Δx_{t−1} (7.31);
    with a schedule torch scales the whole buffer by the current η, Bishop only the new gradient.
    """
    opt = _sgd("momentum", lr, momentum, dampening, weight_decay, False)
    # hparams echo only what the spec accepts, so a reported optimizer can be sent back as a spec
    return opt._replace(hparams={k: v for k, v in opt.hparams.items() if k != "nesterov"})


def nesterov(lr=0.01, momentum=0.9, weight_decay=0.0) -> Optimizer:
    """Nesterov momentum, torch.optim.SGD(lr, momentum, nesterov=True, dampening=0).

    g ← ∇f(x) + wd·x;  b ← μ b + g;  x ← x − η (g + μ b).   Defaults: η = 0.01, μ = 0.9.
    torch's reformulation: its iterate is Bishop's look-ahead point x + μΔx (7.34), so the
    path is the textbook sequence shifted by the momentum term, not the same points.
    """
    return _sgd("nesterov", lr, momentum, 0.0, weight_decay, True)._replace(
        hparams={"lr": lr, "momentum": momentum, "weight_decay": weight_decay})


MOMENTUM = Param("momentum", 0.9, 0.0, 0.999, "momentum coefficient μ")

INFOS = (
    OptimizerInfo("gd", gd, (lr_param(0.01), WEIGHT_DECAY),
                  r"x_{t+1} = x_t - \eta\, g_t", "torch.optim.SGD(lr)", "Gradient descent"),
    OptimizerInfo("momentum", momentum,
                  (lr_param(0.01), MOMENTUM,
                   Param("dampening", 0.0, 0.0, 1.0, "dampening τ of the new gradient (torch)"),
                   WEIGHT_DECAY),
                  r"b_t = \mu b_{t-1} + g_t,\quad x_{t+1} = x_t - \eta\, b_t",
                  "torch.optim.SGD(lr, momentum, dampening=0)", "Heavy-ball momentum"),
    OptimizerInfo("nesterov", nesterov, (lr_param(0.01), MOMENTUM, WEIGHT_DECAY),
                  r"b_t = \mu b_{t-1} + g_t,\quad x_{t+1} = x_t - \eta\,(g_t + \mu b_t)",
                  "torch.optim.SGD(lr, momentum, nesterov=True)", "Nesterov momentum"),
)
