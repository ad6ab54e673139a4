"""Quadratic saddle: one stable and one unstable direction."""

from __future__ import annotations

import numpy as np

from engine.params import Param
from engine.surfaces.base import Surface


class Saddle(Surface):
    """f = ½(a·x² − b·y²), defaults a = 1, b = 1.

    grad = (a x, −b y); H = diag(a, −b), constant. The origin is the only stationary
    point, a saddle (eigenvalues −b < 0 < a); there are no minima, f is unbounded below
    along y. Plain GD started near the x-axis first slides towards the saddle, then
    escapes along y at the rate (1 + η b) per step.
    """

    name = "saddle"
    title = "Saddle"
    formula = r"f = \tfrac12\,(a x^2 - b y^2)"
    PARAMS = (
        Param("a", 1.0, 0.0, 100.0, "curvature along x (the stable direction), > 0",
              exclusive_min=True, log=True),
        Param("b", 1.0, 0.0, 100.0, "negative curvature along y (the escape direction), > 0",
              exclusive_min=True, log=True),
    )
    default_domain = ((-3.0, 3.0), (-3.0, 3.0))
    default_start = (-2.5, 0.05)  # almost on the stable axis: a slow approach, then escape
    constant_hessian = True  # theory block: no η is stable (λ = −b < 0)

    def _value(self, x, y):
        return 0.5 * (self.p["a"] * x * x - self.p["b"] * y * y)

    def _grad(self, x, y):
        return self.p["a"] * x, -self.p["b"] * y

    def _hessian(self, x, y):
        one = np.ones_like(x)
        return self.p["a"] * one, 0.0 * one, -self.p["b"] * one

    def stationary_points(self):
        return [self.at(0.0, 0.0, "saddle")]
