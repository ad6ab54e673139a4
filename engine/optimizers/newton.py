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
    `update(grads, state, params, lr, hessian=H)` with H shaped (..., 2, 2); each 2×2 system is
    solved in closed form, elementwise (`solve_2x2`), so a start's step never depends on its batch.

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
            raise ValueError("optimizer 'newton': update needs hessian=H shaped (..., 2, 2)")
        grads = np.asarray(grads, dtype=float)
        params = np.asarray(params, dtype=float)
        hessian = np.asarray(hessian, dtype=float)
        if grads.shape[-1] != 2 or hessian.shape[-2:] != (2, 2):
            raise ValueError("optimizer 'newton' works on 2D surfaces: grads (..., 2), hessian (..., 2, 2)")
        # damping may be an array broadcastable against params (one λ per start): add it to the diagonal
        lam = (damping * np.ones_like(params))[..., 0]
        step = solve_2x2(hessian[..., 0, 0] + lam, hessian[..., 0, 1], hessian[..., 1, 0],
                         hessian[..., 1, 1] + lam, grads[..., 0], grads[..., 1])
        return params - lr * step, NewtonState(state.step + 1)

    return Optimizer(init, update, "newton", {"lr": lr, "damping": damping}, needs_hessian=True)


def solve_2x2(a, b, c, d, r0, r1) -> np.ndarray:
    """s with [[a, b], [c, d]] s = (r0, r1), elementwise over broadcast arrays, shape (..., 2).

    Written out (Cramer's rule with the determinant computed once) instead of a batched
    `np.linalg.solve`: LAPACK/BLAS may pick a kernel by batch size, and a start's numbers must
    not depend on its companions. Where the system is singular (det = 0) or non-finite the
    step is NaN, so the runner marks that start diverged; the others are unaffected and nothing
    is raised.
    """
    with np.errstate(all="ignore"):
        det = a * d - b * c
        bad = ~np.isfinite(det) | (det == 0)
        det = np.where(bad, np.nan, det)
        s0 = (d * r0 - b * r1) / det
        s1 = (a * r1 - c * r0) / det
    return np.stack(np.broadcast_arrays(s0, s1), axis=-1)


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
