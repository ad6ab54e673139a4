"""A one-hidden-unit network y = w₂·tanh(w₁x) fit by MSE: a true 2-weight loss surface."""

from __future__ import annotations

from functools import cache

import numpy as np

from engine.nn.stationary import newton_stationary
from engine.surfaces.base import Stationary, Surface

# The fixed dataset: 9 inputs evenly in [−2, 2], targets t = tanh(1.5x) + a fixed perturbation
# (so no weight fits exactly and the minima are not at round numbers), rounded to 4 decimals.
DATA_X = np.linspace(-2.0, 2.0, 9)
DATA_T = np.array([-0.9351, -1.018, -0.8551, -0.7051, 0.0, 0.6651, 0.8551, 1.058, 0.9751])


class TinyNet(Surface):
    """E(w₁, w₂) = (1/2N) Σ_n (w₂ tanh(w₁ x_n) − t_n)², the surface's (x, y) being (w₁, w₂).

    With f_n = w₂ tanh(w₁x_n), r_n = f_n − t_n, th = tanh(w₁x_n), s = 1 − th²:
    ∂E/∂w₁ = mean(r w₂ x s), ∂E/∂w₂ = mean(r th);
    H = mean(∇f ∇fᵀ + r ∇²f) with ∇f = (w₂ x s, th), ∂²f/∂w₁² = −2 w₂ x² th s,
    ∂²f/∂w₁∂w₂ = x s, ∂²f/∂w₂² = 0.
    tanh is odd, so E(w₁, w₂) = E(−w₁, −w₂): two mirror-image minima, and at the origin
    ∇E = 0 with H = [[0, −c], [−c, 0]], c = mean(t x) > 0: a saddle (the symmetric
    "dead" network). Everything is vectorized over points and the N = 9 examples.
    """

    name = "tiny_net"
    title = "Tiny network y = w₂·tanh(w₁x)"
    formula = r"E(w_1, w_2) = \frac{1}{2N}\sum_{n=1}^{N} \left(w_2 \tanh(w_1 x_n) - t_n\right)^2"
    default_domain = ((-3.0, 3.0), (-3.0, 3.0))
    default_start = (-2.5, 2.0)

    def _parts(self, x, y):
        th = np.tanh(np.asarray(x)[..., None] * DATA_X)  # (..., N)
        return th, np.asarray(y)[..., None] * th - DATA_T

    def _value(self, x, y):
        _, r = self._parts(x, y)
        return 0.5 * np.mean(r * r, axis=-1)

    def _grad(self, x, y):
        th, r = self._parts(x, y)
        s = 1.0 - th * th
        return np.mean(r * np.asarray(y)[..., None] * DATA_X * s, axis=-1), np.mean(r * th, axis=-1)

    def _hessian(self, x, y):
        th, r = self._parts(x, y)
        s = 1.0 - th * th
        w2 = np.asarray(y)[..., None]
        f1 = w2 * DATA_X * s  # ∂f/∂w₁
        fxx = np.mean(f1 * f1 - 2.0 * r * w2 * DATA_X * DATA_X * th * s, axis=-1)
        fxy = np.mean(f1 * th + r * DATA_X * s, axis=-1)
        fyy = np.mean(th * th, axis=-1)
        return fxx, fxy, fyy

    def stationary_points(self) -> list[Stationary]:
        (x1, y1), (x2, y2) = _minima()  # equal values; ordered by (f, x, y) like every surface
        return [self.at(x2, y2, "minimum"), self.at(x1, y1, "minimum"), self.at(0.0, 0.0, "saddle")]


@cache
def _minima() -> tuple[tuple[float, float], tuple[float, float]]:
    # Newton from the neighbourhood of the teacher weights (1.5, 1); the mirror image by symmetry
    # (a grid of Newton starts over [−4, 4]² finds no other stationary point at finite weights).
    w = newton_stationary(TinyNet(), (1.6, 1.0))
    return (float(w[0]), float(w[1])), (float(-w[0]), float(-w[1]))
