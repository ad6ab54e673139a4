"""Rosenbrock's banana valley."""

from __future__ import annotations

import numpy as np

from engine.params import Param
from engine.surfaces.base import Surface


class Rosenbrock(Surface):
    """f = (a − x)² + b(y − x²)², defaults a = 1, b = 100.

    grad = (−2(a − x) − 4b x (y − x²), 2b(y − x²));
    H = [[2 − 4b y + 12b x², −4b x], [−4b x, 2b]].
    The only stationary point is the global minimum (a, a²), f = 0, with det H = 4b:
    positive definite for b > 0. At b = 0 every point of the line x = a is a minimum
    (H singular); (a, a²) is still listed. Its curved, narrow valley (κ ≈ 2500 at the
    minimum for the defaults) is the classic trap for plain GD.
    """

    name = "rosenbrock"
    title = "Rosenbrock"
    formula = r"f = (a - x)^2 + b\,(y - x^2)^2"
    PARAMS = (
        Param("a", 1.0, -10.0, 10.0, "x of the minimum (a, a²)"),
        Param("b", 100.0, 0.0, 1000.0, "steepness of the valley walls"),
    )
    default_domain = ((-2.0, 2.0), (-1.0, 3.0))
    default_start = (-1.5, 2.0)

    def own_domain(self):
        # widen the default box so that it always contains the minimum (a, a²)
        a = float(self.p["a"])
        (xlo, xhi), (ylo, yhi) = self.default_domain
        return ((min(xlo, a - 1.0), max(xhi, a + 1.0)), (ylo, max(yhi, a * a + 1.0)))

    def _value(self, x, y):
        a, b = self.p["a"], self.p["b"]
        r = y - x * x
        return (a - x) ** 2 + b * r * r

    def _grad(self, x, y):
        a, b = self.p["a"], self.p["b"]
        r = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r

    def _hessian(self, x, y):
        b = self.p["b"]
        return 2.0 - 4.0 * b * y + 12.0 * b * x * x, -4.0 * b * x, 2.0 * b * np.ones_like(x)

    def stationary_points(self):
        a = float(self.p["a"])
        return [self.at(a, a * a, "minimum")]
