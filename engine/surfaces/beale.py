"""Beale's function: flat plateaus and a sharp valley."""

from __future__ import annotations

from engine.surfaces.base import Surface

C1, C2, C3 = 1.5, 2.25, 2.625


class Beale(Surface):
    """f = Σᵢ rᵢ², rᵢ = cᵢ − x + x yⁱ, i = 1, 2, 3, c = (1.5, 2.25, 2.625) (no params).

    grad = 2Σ rᵢ (yⁱ − 1, i x yⁱ⁻¹);
    fxx = 2Σ (yⁱ − 1)², fxy = 2Σ i yⁱ⁻¹ (x(yⁱ − 1) + rᵢ),
    fyy = 2Σ (i² x² y²ⁱ⁻² + i(i − 1) x yⁱ⁻² rᵢ).
    """

    name = "beale"
    title = "Beale"
    formula = r"f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    default_domain = ((-4.5, 4.5), (-4.5, 4.5))
    default_start = (1.0, 1.5)

    def _value(self, x, y):
        y2 = y * y
        return (C1 - x + x * y) ** 2 + (C2 - x + x * y2) ** 2 + (C3 - x + x * y2 * y) ** 2

    def _grad(self, x, y):
        y2 = y * y
        y3 = y2 * y
        r1, r2, r3 = C1 - x + x * y, C2 - x + x * y2, C3 - x + x * y3
        fx = 2.0 * (r1 * (y - 1.0) + r2 * (y2 - 1.0) + r3 * (y3 - 1.0))
        fy = 2.0 * x * (r1 + 2.0 * y * r2 + 3.0 * y2 * r3)
        return fx, fy

    def _hessian(self, x, y):
        y2 = y * y
        y3 = y2 * y
        r1, r2, r3 = C1 - x + x * y, C2 - x + x * y2, C3 - x + x * y3
        fxx = 2.0 * ((y - 1.0) ** 2 + (y2 - 1.0) ** 2 + (y3 - 1.0) ** 2)
        fxy = 2.0 * ((x * (y - 1.0) + r1) + 2.0 * y * (x * (y2 - 1.0) + r2)
                     + 3.0 * y2 * (x * (y3 - 1.0) + r3))
        fyy = 2.0 * (x * x * (1.0 + 4.0 * y2 + 9.0 * y2 * y2) + x * (2.0 * r2 + 6.0 * y * r3))
        return fxx, fxy, fyy

    def stationary_points(self):
        # The only three real stationary points (fy = 2x·(…) splits into x = 0, where only
        # (0, 1) works, and a branch linear in x giving a degree-7 polynomial in y).
        # f ≡ Σcᵢ² = 14.203125 on both lines x = 0 and y = 1, which cross at the saddle (0, 1).
        return [
            self.at(3.0, 0.5, "minimum"),
            self.at(0.10053793732415836, -2.644513585023125, "saddle"),  # f ≈ 9.8645, λ ≈ (-0.78, 868)
            self.at(0.0, 1.0, "saddle"),  # H = [[0, 27.75], [27.75, 0]]
        ]
