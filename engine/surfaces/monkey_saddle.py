"""Monkey saddle: a degenerate saddle whose Hessian vanishes at the origin."""

from __future__ import annotations

from engine.surfaces.base import Surface


class MonkeySaddle(Surface):
    """f = x³ − 3xy² (no params).

    grad = (3x² − 3y², −6xy); H = [[6x, −6y], [−6y, −6x]]. The origin is the only
    stationary point: a degenerate saddle with H = 0, so the second-order test says
    nothing there (three valleys down, three ridges up). f is unbounded below.
    """

    name = "monkey_saddle"
    title = "Monkey saddle"
    formula = r"f = x^3 - 3 x y^2"
    default_domain = ((-2.0, 2.0), (-2.0, 2.0))
    default_start = (1.5, 0.1)  # slides towards the flat origin, then turns into a valley

    def _value(self, x, y):
        return x * x * x - 3.0 * x * y * y

    def _grad(self, x, y):
        return 3.0 * (x * x - y * y), -6.0 * x * y

    def _hessian(self, x, y):
        return 6.0 * x, -6.0 * y, -6.0 * x

    def stationary_points(self):
        return [self.at(0.0, 0.0, "saddle")]
