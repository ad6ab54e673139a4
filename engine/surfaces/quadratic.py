"""Rotated quadratic valley with tunable condition number κ and angle θ."""

from __future__ import annotations

import numpy as np

from engine.params import Param
from engine.surfaces.base import Stationary, Surface


class Quadratic(Surface):
    """f = ½(λmin·u² + λmax·v²), u = x cosθ + y sinθ, v = −x sinθ + y cosθ, λmax = κ·λmin.

    At θ = 0 the shallow direction (λmin) is x. The Hessian is constant:
    H = R diag(λmin, λmax) Rᵀ with R = [[cosθ, −sinθ], [sinθ, cosθ]].
    """

    name = "quadratic"
    title = "Quadratic valley"
    formula = (r"f = \tfrac12(\lambda_{\min} u^2 + \lambda_{\max} v^2),\; u = x\cos\theta + y\sin\theta,\;"
               r" v = -x\sin\theta + y\cos\theta,\; \lambda_{\max} = \kappa\lambda_{\min}")
    PARAMS = (
        Param("kappa", 10.0, 1.0, 1e4, "condition number λmax/λmin", log=True),
        Param("theta", 0.0, -180.0, 180.0, "rotation of the valley axis, degrees"),
        Param("lam_min", 1.0, 0.0, 1e3, "smallest eigenvalue λmin", exclusive_min=True, log=True),
    )
    default_domain = ((-5.0, 5.0), (-5.0, 5.0))
    default_start = (-4.0, 2.0)
    constant_hessian = True

    @property
    def lam_min(self) -> float:
        return float(self.p["lam_min"])

    @property
    def lam_max(self) -> float:
        return float(self.p["kappa"] * self.p["lam_min"])

    def __init__(self, /, **params) -> None:
        super().__init__(**params)
        t = np.deg2rad(self.p["theta"])
        c, s = np.cos(t), np.sin(t)
        a, b = self.lam_min, self.lam_max
        self._entries = (a * c * c + b * s * s, (a - b) * c * s, a * s * s + b * c * c)

    def _matrix(self) -> tuple[float, float, float]:
        return self._entries

    def grad(self, points):
        # H x written out per component, never `points @ H`: OpenBLAS rounds a (1, 2) @ (2, 2)
        # product with another kernel than an (n, 2) @ (2, 2) one, which made a start's path
        # depend on how many others shared its batch. Elementwise, each point's two numbers are
        # the same IEEE operations whatever the batch (and cheaper than a BLAS call for them).
        points = np.asarray(points, dtype=float)
        x, y = points[..., 0], points[..., 1]
        hxx, hxy, hyy = self._entries
        out = np.empty(points.shape)
        out[..., 0] = hxx * x + hxy * y
        out[..., 1] = hxy * x + hyy * y
        return out

    def _value(self, x, y):
        hxx, hxy, hyy = self._matrix()
        return 0.5 * (hxx * x * x + 2 * hxy * x * y + hyy * y * y)

    def _grad(self, x, y):
        hxx, hxy, hyy = self._matrix()
        return hxx * x + hxy * y, hxy * x + hyy * y

    def _hessian(self, x, y):
        hxx, hxy, hyy = self._matrix()
        one = np.ones_like(x)
        return hxx * one, hxy * one, hyy * one

    def stationary_points(self):
        return [Stationary(0.0, 0.0, 0.0, "minimum")]
