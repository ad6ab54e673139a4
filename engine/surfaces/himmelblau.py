"""Himmelblau's function: four global minima of equal value."""

from __future__ import annotations

from engine.surfaces.base import Surface


class Himmelblau(Surface):
    """f = (x² + y − 11)² + (x + y² − 7)² (no params).

    With A = x² + y − 11, B = x + y² − 7: grad = (4xA + 2B, 2A + 4yB);
    H = [[12x² + 4y − 42, 4x + 4y], [4x + 4y, 4x + 12y² − 26]].
    Nine stationary points: four minima with f = 0, four saddles, one maximum.
    """

    name = "himmelblau"
    title = "Himmelblau"
    formula = r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    default_domain = ((-5.0, 5.0), (-5.0, 5.0))
    default_start = (0.0, 0.0)  # near the central maximum: optimizers pick different minima

    def _value(self, x, y):
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def _grad(self, x, y):
        A = x * x + y - 11.0
        B = x + y * y - 7.0
        return 4.0 * x * A + 2.0 * B, 2.0 * A + 4.0 * y * B

    def _hessian(self, x, y):
        return 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 4.0 * x + 12.0 * y * y - 26.0

    def stationary_points(self):
        # Newton on the exact gradient at 50 digits, rounded to float; f ascending, then x, y
        return [self.at(x, y, kind) for x, y, kind in _STATIONARY]


_STATIONARY = (
    (-3.779310253377747, -3.2831859912861696, "minimum"),
    (-2.805118086952745, 3.131312518250573, "minimum"),
    (3.0, 2.0, "minimum"),
    (3.5844283403304917, -1.8481265269644036, "minimum"),
    (3.385154183607021, 0.07385187983774928, "saddle"),  # f ≈ 13.3119
    (0.08667750455539636, 2.884254701174776, "saddle"),  # f ≈ 67.7192
    (-3.0730257507643897, -0.08135304428796751, "saddle"),  # f ≈ 104.015
    (-0.12796134673068008, -1.9537149802445763, "saddle"),  # f ≈ 178.337
    (-0.2708445906673476, -0.9230385564799815, "maximum"),  # f ≈ 181.617
)
