"""Logistic regression with two weights (no bias) on a small fixed, non-separable dataset."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.nn.stationary import newton_stationary
from engine.params import Param
from engine.surfaces.base import Stationary, Surface

# 20 points from make_dataset("blobs", n=20, seed=4, separation=2, std=1), rounded to 2 decimals.
# No line through the origin separates them (the best one misclassifies 1 of 20), so the
# unregularized loss has a finite minimum and λ = 0 is allowed.
DATA_X = np.array([
    [-2.35, -0.71], [0.7, -0.18], [1.67, -0.27], [-1.33, -0.56], [0.36, 0.92],
    [-2.32, -0.47], [-2.2, 1.55], [2.19, -1.12], [-0.39, -0.2], [1.48, -1.41],
    [-1.36, -0.88], [-0.09, 0.5], [0.89, 1.71], [-1.04, -1.59], [-2.62, 0.39],
    [0.05, 0.04], [-0.47, 0.87], [0.96, -0.05], [1.09, 0.6], [-0.78, 1.69],
])
DATA_T = np.array([0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1], dtype=float)


class Logistic(Surface):
    """E(w) = (1/N) Σ_n [log(1 + e^{z_n}) − t_n z_n] + (λ/2)‖w‖²,  z_n = w·x_n,  w = (x, y).

    ∇E = Xᵀ(σ − t)/N + λw;  H = XᵀRX/N + λI with R = diag(σ_n(1 − σ_n)) (Bishop exercise
    7.5): positive definite, so E is strictly convex with one minimum (found by damped
    Newton at construction). log(1 + e^z) is evaluated as logaddexp(0, z) (no overflow).
    Vectorized over points and the N = 20 examples, elementwise.
    """

    name = "logistic"
    title = "Logistic regression, two weights"
    formula = (r"E(w) = \frac{1}{N}\sum_n \left[\log(1 + e^{w^\top x_n}) - t_n w^\top x_n\right]"
               r" + \tfrac{\lambda}{2}\lVert w\rVert^2")
    PARAMS = (Param("l2", 0.0, 0.0, 1.0, "L2 penalty λ (adds λ/2·‖w‖²)"),)
    default_domain = ((-4.0, 6.0), (-4.0, 6.0))
    default_start = (-3.0, -2.0)

    def __init__(self, /, **params: Any) -> None:
        super().__init__(**params)
        self.lam = float(self.p["l2"])
        self.w_star = newton_stationary(self, (2.5, 1.6), damped=True)

    def _sigma(self, x, y):
        # z_n = w·x_n written per component (no einsum/BLAS contraction, whose kernel may depend
        # on the batch shape): a point's numbers are the same alone or among thousands
        z = np.asarray(x)[..., None] * DATA_X[:, 0] + np.asarray(y)[..., None] * DATA_X[:, 1]
        return z, 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow

    def _value(self, x, y):
        z, _ = self._sigma(x, y)
        data = np.mean(np.logaddexp(0.0, z) - DATA_T * z, axis=-1)
        return data + 0.5 * self.lam * (x * x + y * y)

    def _grad(self, x, y):
        _, s = self._sigma(x, y)
        r = s - DATA_T
        return (np.mean(r * DATA_X[:, 0], axis=-1) + self.lam * x,
                np.mean(r * DATA_X[:, 1], axis=-1) + self.lam * y)

    def _hessian(self, x, y):
        _, s = self._sigma(x, y)
        w = s * (1.0 - s)
        return (np.mean(w * DATA_X[:, 0] ** 2, axis=-1) + self.lam,
                np.mean(w * (DATA_X[:, 0] * DATA_X[:, 1]), axis=-1),
                np.mean(w * DATA_X[:, 1] ** 2, axis=-1) + self.lam)

    def stationary_points(self) -> list[Stationary]:
        return [self.at(self.w_star[0], self.w_star[1], "minimum")]
