"""Least squares on two correlated, differently scaled features, with a z-normalize switch."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.nn.datasets import make_dataset
from engine.params import Param
from engine.surfaces.base import Stationary, Surface

DATA_N = 100  # examples of the fixed regression set
DATA_SEED = 0


class LeastSquares(Surface):
    """E(w) = (1/2N) ‖Xw − t‖² on the `regression` dataset (n = 100, seed 0, noise 0.1).

    Features x₁ ~ N(0, 1), x₂ = scale_ratio·(ρx₁ + √(1−ρ²) z), targets t = u₁ − ½u₂ + ε
    (see engine.nn.datasets). With `normalize`, each feature is z-normalized
    ((x − mean)/std) first. The Hessian is the constant H = XᵀX/N, the unique minimum
    w* solves the normal equations H w* = Xᵀt/N, and the surface is evaluated exactly as
    E(w) = E(w*) + ½ (w − w*)ᵀ H (w − w*) — the data enter through H and w* only, so a
    whole grid costs no more than its points. κ(H) shows why normalizing speeds up GD.
    """

    name = "least_squares"
    title = "Least squares, two features"
    formula = r"E(w) = \frac{1}{2N}\lVert Xw - t\rVert^2,\quad H = X^\top X / N"
    PARAMS = (
        Param("rho", 0.8, -0.99, 0.99, "correlation ρ of the two features"),
        Param("scale_ratio", 4.0, 0.01, 100.0, "std of feature 2 / std of feature 1", log=True),
        Param("normalize", False, description="z-normalize each feature (mean 0, variance 1)", kind="bool"),
    )
    default_domain = ((-1.0, 3.0), (-2.0, 2.0))  # per instance: centred on w*, see __init__
    default_start = (-0.6, 1.2)
    constant_hessian = True

    def __init__(self, /, **params: Any) -> None:
        super().__init__(**params)
        data = make_dataset("regression", n=DATA_N, seed=DATA_SEED, rho=self.p["rho"],
                            scale_ratio=self.p["scale_ratio"], noise=0.1)
        X = data.X
        if self.p["normalize"]:
            X = (X - X.mean(axis=0)) / X.std(axis=0)
        self.X, self.t = X, data.y
        self.H = X.T @ X / DATA_N
        self.w_star = np.linalg.solve(self.H, X.T @ data.y / DATA_N)
        r = X @ self.w_star - data.y
        self.e_min = float(0.5 * np.mean(r * r))
        # a square view centred on w*, wide enough to show the valley at any scale
        half = max(2.0, 1.5 * float(np.max(np.abs(self.w_star))))
        (cx, cy) = self.w_star
        self.default_domain = ((float(cx - half), float(cx + half)), (float(cy - half), float(cy + half)))
        self.default_start = (float(cx - 0.8 * half), float(cy + 0.6 * half))

    @property
    def kappa(self) -> float:
        """Condition number λmax/λmin of H = XᵀX/N."""
        lam = np.linalg.eigvalsh(self.H)
        return float(lam[-1] / lam[0])

    def _value(self, x, y):
        dx, dy = x - self.w_star[0], y - self.w_star[1]
        (a, b), (_, c) = self.H
        return self.e_min + 0.5 * (a * dx * dx + 2.0 * b * dx * dy + c * dy * dy)

    def _grad(self, x, y):
        dx, dy = x - self.w_star[0], y - self.w_star[1]
        (a, b), (_, c) = self.H
        return a * dx + b * dy, b * dx + c * dy

    def _hessian(self, x, y):
        (a, b), (_, c) = self.H
        one = np.ones_like(x)
        return a * one, b * one, c * one

    def stationary_points(self) -> list[Stationary]:
        return [self.at(self.w_star[0], self.w_star[1], "minimum")]
