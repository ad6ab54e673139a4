"""Damped Newton's method: x ← x − η (H + λI)⁻¹ g, batched over starts (no torch equivalent)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.optimizers.base import Optimizer, OptimizerInfo, lr_param
from engine.params import Param


class NewtonState(NamedTuple):
    step: int


def newton(lr=1.0, damping=0.0) -> Optimizer:
    """Newton's method with Levenberg damping: x ← x − η (H + λ I)⁻¹ g.

    Defaults: η = 1.0, λ (damping) = 0. `needs_hessian=True`: call
    `update(grads, state, params, lr, hessian=H)` with H shaped (..., d, d); the systems are
    solved batched with `np.linalg.solve` (never an explicit inverse).

    On a quadratic with η = 1 it lands on the stationary point in one step. That is also its
    trap: on an *indefinite* Hessian the step goes to the stationary point of the local
    quadratic model, which is a saddle, so plain Newton is attracted to saddles (on
    f = ½(x² − y²) it jumps straight to (0, 0)) where gradient descent is repelled. Damping
    λ > |λmin| makes H + λI positive definite, so the step is a descent direction again
    (λ → ∞ tends to gradient descent with step η/λ).

    Where H + λI is singular or non-finite for some start, that start's new params are NaN
    (the runner then marks it diverged); the others are unaffected and nothing is raised.
    """
    def init(params):
        return NewtonState(0)

    def update(grads, state, params, lr, hessian=None):
        if hessian is None:
            raise ValueError("optimizer 'newton': update needs hessian=H shaped (..., d, d)")
        grads = np.asarray(grads, dtype=float)
        params = np.asarray(params, dtype=float)
        d = grads.shape[-1]
        eye = np.eye(d)
        # damping may be an array broadcastable against params (one λ per start): put it on the diagonal
        lam = damping * np.ones_like(params)
        system = np.asarray(hessian, dtype=float) + lam[..., None, :] * eye
        batch = np.broadcast_shapes(system.shape[:-2], grads.shape[:-1])
        system = np.broadcast_to(system, batch + (d, d))
        rhs = np.broadcast_to(grads, batch + (d,))[..., None]
        step, bad = _solve(system, rhs[..., 0], eye)
        step = np.where(bad[..., None], np.nan, step)
        return params - lr * step, NewtonState(state.step + 1)

    return Optimizer(init, update, "newton", {"lr": lr, "damping": damping}, needs_hessian=True)


def _solve(system: np.ndarray, rhs: np.ndarray, eye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve system @ s = rhs per batch element; `bad` marks singular or non-finite systems.

    Bad systems are swapped for I before the batched solve, so one singular H cannot make
    LAPACK raise for the whole batch. slogdet's sign is 0 exactly when LU meets a zero pivot,
    which is when `solve` would fail.
    """
    bad = ~np.all(np.isfinite(system), axis=(-2, -1))
    safe = np.where(bad[..., None, None], eye, system)
    sign, _ = np.linalg.slogdet(safe)
    bad = bad | (sign == 0)
    safe = np.where(bad[..., None, None], eye, system)
    try:
        step = np.linalg.solve(safe, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:  # defensive: should not happen after the sign check
        bad = bad | (np.linalg.matrix_rank(safe) < eye.shape[0])
        step = (np.linalg.pinv(safe) @ rhs[..., None])[..., 0]
    return step, bad


INFOS = (
    OptimizerInfo(
        "newton", newton,
        (lr_param(1.0),
         Param("damping", 0.0, 0.0, 1000.0, "Levenberg damping λ added to the Hessian's diagonal")),
        r"x_{t+1} = x_t - \eta\,(H_t + \lambda I)^{-1} g_t",
        "none (x ← x − lr·(H + damping·I)⁻¹ g)",
        "Newton's method",
    ),
)
