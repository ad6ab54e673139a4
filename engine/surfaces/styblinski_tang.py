"""Styblinski–Tang: four minima of different depth in a quartic bowl."""

from __future__ import annotations

from engine.surfaces.base import Surface

# Roots of the 1D derivative 2t³ − 16t + 2.5 (= d/dt ½(t⁴ − 16t² + 5t)), ascending:
# a deep minimum, a maximum, a shallower minimum.
T_DEEP, T_TOP, T_SHALLOW = -2.9035340277711771, 0.15673125678034010, 2.7468027709908370


class StyblinskiTang(Surface):
    """f = ½ Σ (t⁴ − 16t² + 5t), t ∈ {x, y} (no params).

    grad = (2x³ − 16x + 2.5, 2y³ − 16y + 2.5); H = diag(6x² − 16, 6y² − 16).
    Per axis the stationary points are t₁ ≈ −2.903534 (min), t₂ ≈ 0.156731 (max),
    t₃ ≈ 2.746803 (min); their products give four minima (global at (t₁, t₁),
    f ≈ −78.332), four saddles and one maximum at (t₂, t₂).
    """

    name = "styblinski_tang"
    title = "Styblinski–Tang"
    formula = r"f = \tfrac12 \sum_{t \in \{x, y\}} \left(t^4 - 16 t^2 + 5 t\right)"
    default_domain = ((-5.0, 5.0), (-5.0, 5.0))
    default_start = (0.5, 4.5)  # above the ridge between the two upper minima

    def _value(self, x, y):
        return 0.5 * (x**4 - 16.0 * x * x + 5.0 * x + y**4 - 16.0 * y * y + 5.0 * y)

    def _grad(self, x, y):
        return 2.0 * x**3 - 16.0 * x + 2.5, 2.0 * y**3 - 16.0 * y + 2.5

    def _hessian(self, x, y):
        fxx = 6.0 * x * x - 16.0
        return fxx, 0.0 * fxx, 6.0 * y * y - 16.0

    def stationary_points(self):
        d, t, s = T_DEEP, T_TOP, T_SHALLOW
        minima = [(d, d), (d, s), (s, d), (s, s)]  # f ascending, then x, y
        saddles = [(d, t), (t, d), (t, s), (s, t)]
        return ([self.at(x, y, "minimum") for x, y in minima]
                + [self.at(x, y, "saddle") for x, y in saddles]
                + [self.at(t, t, "maximum")])

