"""Six-hump camel: two global and four local minima."""

from __future__ import annotations

import numpy as np

from engine.surfaces.base import Surface


class SixHumpCamel(Surface):
    """f = (4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y² (no params).

    grad = (8x − 8.4x³ + 2x⁵ + y, x − 8y + 16y³);
    H = [[8 − 25.2x² + 10x⁴, 1], [1, −8 + 48y²]].
    """

    name = "six_hump_camel"
    title = "Six-hump camel"
    formula = r"f = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2"
    default_domain = ((-3.0, 3.0), (-2.0, 2.0))
    default_start = (-1.5, 1.5)

    def _value(self, x, y):
        x2, y2 = x * x, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2

    def _grad(self, x, y):
        x2 = x * x
        return x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y, x - 8.0 * y + 16.0 * y * y * y

    def _hessian(self, x, y):
        x2 = x * x
        return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, np.ones_like(x), -8.0 + 48.0 * y * y

    def stationary_points(self):
        # f is even under (x, y) -> (-x, -y), so points come in mirror pairs (origin aside)
        out = []
        for x, y, kind in _HALF:
            out += [self.at(x, y, kind)] if x == y == 0.0 else [self.at(-x, -y, kind), self.at(x, y, kind)]
        return out


# One of each mirror pair (x >= 0), from Newton on the exact gradient at 50 digits: all 15
# real stationary points (x = 8y − 16y³ turns grad = 0 into a degree-15 polynomial in y
# with 15 real roots), all inside [-3, 3] × [-2, 2]. Listed f ascending within each kind.
_HALF = (
    (0.08984201310031806, -0.7126564030207396, "minimum"),  # global, f ≈ -1.0316284535
    (1.703606714969981, -0.7960835686726251, "minimum"),  # f ≈ -0.215464
    (1.6071047529201972, 0.5686514548841314, "minimum"),  # f ≈ 2.104250
    (0.0, 0.0, "saddle"),
    (1.1092053368047865, -0.7682680925095399, "saddle"),  # f ≈ 0.543719
    (1.6380679841897785, 0.22867406904439408, "saddle"),  # f ≈ 2.229357
    (1.2960702671671092, 0.6050843880386585, "saddle"),  # f ≈ 2.229471
    (1.2302298765166526, 0.16233458445899496, "maximum"),  # f ≈ 2.496295
)
