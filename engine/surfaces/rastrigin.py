"""Rastrigin's function: a parabola covered in a regular egg-crate of local minima."""

from __future__ import annotations

import numpy as np

from engine.surfaces.base import Stationary, Surface

TWO_PI = 2.0 * np.pi

# Non-negative roots of the 1D stationarity equation 2t + 20π sin 2πt = 0 inside the
# domain [-5.12, 5.12] (Newton at 40 digits, rounded to float). The roots are odd in t.
# Minima of t² − 10 cos 2πt sit just inside each integer, maxima just outside each half-integer.
_T_MIN = (0.0, 0.99495863765233480, 1.9899122337085496, 2.9848557010394812,
          3.9797838603007538, 4.9746913908950513)
_T_MAX = (0.50254603655467463, 1.5076407318703584, 2.5127433182000849,
          3.5178591381704409, 4.5229936595845188)


def _symmetric(roots: tuple[float, ...]) -> np.ndarray:
    pos = np.array(roots)
    return np.unique(np.concatenate([-pos[pos > 0], pos]))  # no -0.0


class Rastrigin(Surface):
    """f = 20 + Σ (t² − 10 cos 2πt), t ∈ {x, y} (no params).

    grad = (2x + 20π sin 2πx, 2y + 20π sin 2πy); H = diag(2 + 40π² cos 2πx, 2 + 40π² cos 2πy).
    f separates, so its stationary points are products of the 1D roots of
    2t + 20π sin 2πt = 0: in the default domain [-5.12, 5.12]² there are 11 minima and
    10 maxima per axis, giving 121 minima (min × min, global at the origin, f = 0),
    220 saddles (min × max) and 100 maxima (max × max), all listed.
    """

    name = "rastrigin"
    title = "Rastrigin"
    formula = r"f = 20 + \sum_{t \in \{x, y\}} \left(t^2 - 10\cos 2\pi t\right)"
    default_domain = ((-5.12, 5.12), (-5.12, 5.12))
    default_start = (-3.6, 4.2)  # far from the origin: plain GD stops in the nearest dimple

    def _value(self, x, y):
        return 20.0 + x * x - 10.0 * np.cos(TWO_PI * x) + y * y - 10.0 * np.cos(TWO_PI * y)

    def _grad(self, x, y):
        k = 10.0 * TWO_PI
        return 2.0 * x + k * np.sin(TWO_PI * x), 2.0 * y + k * np.sin(TWO_PI * y)

    def _hessian(self, x, y):
        k = 10.0 * TWO_PI * TWO_PI
        fxx = 2.0 + k * np.cos(TWO_PI * x)
        return fxx, 0.0 * fxx, 2.0 + k * np.cos(TWO_PI * y)

    def stationary_points(self) -> list[Stationary]:
        cached = getattr(self, "_stationary", None)
        if cached is None:
            t_min, t_max = _symmetric(_T_MIN), _symmetric(_T_MAX)
            cached = (self._grid(t_min, t_min, "minimum") + self._grid(t_min, t_max, "saddle")
                      + self._grid(t_max, t_min, "saddle") + self._grid(t_max, t_max, "maximum"))
            self._stationary = cached
        return list(cached)

    def _grid(self, xs: np.ndarray, ys: np.ndarray, kind: str) -> list[Stationary]:
        pts = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
        f = self.value(pts)
        # f ascending (rounded, so mirror images tie), then x, then y: the global minimum comes first
        order = np.lexsort((pts[:, 1], pts[:, 0], np.round(f, 9)))
        return [Stationary(float(pts[i, 0]), float(pts[i, 1]), float(f[i]), kind) for i in order]
