"""The Surface base class: exact value, gradient and Hessian, vectorized over points.

A concrete surface implements three methods on broadcast arrays `x`, `y`:
`_value(x, y)`, `_grad(x, y) -> (fx, fy)` and `_hessian(x, y) -> (fxx, fxy, fyy)`,
all analytic. The public `value/grad/hessian` take points shaped `(..., 2)` and return
`(...)`, `(..., 2)` and `(..., 2, 2)`. Parameters come from the class's `PARAMS` table,
validated on construction; `self.p` holds the resolved values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.params import Param, resolve

# An eigenvalue counts as zero when |λ| <= SINGULAR_RTOL * max|λ|: relative to the Hessian's own
# scale, and a few hundred ulps wide (eigvalsh's error is ~ eps * max|λ|), so that only round-off
# is read as zero: x² + 1e-10 y² is positive definite, not singular, at any overall scale.
SINGULAR_RTOL = 1e-13


@dataclass(frozen=True)
class Stationary:
    x: float
    y: float
    f: float
    kind: str = "minimum"  # "minimum" | "saddle" | "maximum"

    def as_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "f": self.f}


def curvature_class(eigenvalues: np.ndarray) -> str:
    """positive_definite / negative_definite / indefinite / singular for ascending eigenvalues."""
    lam = np.asarray(eigenvalues, dtype=float)
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    if not np.all(np.isfinite(lam)):
        return "singular"
    if np.any(np.abs(lam) <= SINGULAR_RTOL * scale):  # scale 0 (H = 0) is singular too
        return "singular"
    if np.all(lam > 0):
        return "positive_definite"
    if np.all(lam < 0):
        return "negative_definite"
    return "indefinite"


class Surface:
    """Base class of every 2D surface. Subclasses set the class attributes and `_value/_grad/_hessian`."""

    name: ClassVar[str]
    title: ClassVar[str]
    formula: ClassVar[str]  # LaTeX
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    default_domain: ClassVar[tuple[tuple[float, float], tuple[float, float]]]
    default_start: ClassVar[tuple[float, float]] = (0.0, 0.0)
    constant_hessian: ClassVar[bool] = False  # true for quadratics: enables the theory block

    def __init__(self, /, **params: Any) -> None:
        self.p: dict[str, Any] = resolve(self.PARAMS, params, f"surface '{self.name}'")

    # ---- to implement -------------------------------------------------
    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def stationary_points(self) -> list[Stationary]:
        """All known stationary points (minima, saddles, maxima) for the current params."""
        return []

    @property
    def domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The plot/start box: a request's override when given, else the surface's own. Not to be
        overridden (a subclass that did ignored the request's domain); customise `own_domain`."""
        return self.__dict__.get("_domain_override") or self.own_domain()

    def own_domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The surface's default box for its current parameters."""
        return self.default_domain

    # ---- public, vectorized --------------------------------------------
    def value(self, points: np.ndarray) -> np.ndarray:
        x, y = _split(points)
        with np.errstate(all="ignore"):
            return np.asarray(self._value(x, y), dtype=float) + np.zeros(x.shape)

    def grad(self, points: np.ndarray) -> np.ndarray:
        x, y = _split(points)
        with np.errstate(all="ignore"):
            fx, fy = self._grad(x, y)
        zeros = np.zeros(x.shape)
        return np.stack([fx + zeros, fy + zeros], axis=-1)

    def hessian(self, points: np.ndarray) -> np.ndarray:
        x, y = _split(points)
        with np.errstate(all="ignore"):
            fxx, fxy, fyy = self._hessian(x, y)
        zeros = np.zeros(x.shape)
        fxx, fxy, fyy = fxx + zeros, fxy + zeros, fyy + zeros
        return np.stack([np.stack([fxx, fxy], -1), np.stack([fxy, fyy], -1)], -2)

    def geometry(self, point: np.ndarray) -> dict[str, Any]:
        """Value, gradient, Hessian, ascending eigenvalues, unit eigenvectors and curvature class at one point."""
        point = np.asarray(point, dtype=float).reshape(2)
        hess = self.hessian(point)
        if np.all(np.isfinite(hess)):
            eigenvalues, vectors = np.linalg.eigh(hess)
            eigenvectors = vectors.T  # eigenvectors[i] belongs to eigenvalues[i]
            # a deterministic sign: first nonzero component positive
            for i in range(2):
                k = 0 if abs(eigenvectors[i, 0]) > 1e-12 else 1
                if eigenvectors[i, k] < 0:
                    eigenvectors[i] = -eigenvectors[i]
        else:
            eigenvalues = np.full(2, np.nan)
            eigenvectors = np.full((2, 2), np.nan)
        return {
            "f": float(self.value(point)),
            "grad": self.grad(point),
            "hessian": hess,
            "eigenvalues": eigenvalues,
            "eigenvectors": eigenvectors,
            "curvature": curvature_class(eigenvalues),
        }

    # ---- listings ---------------------------------------------------------
    def _points(self, kind: str) -> list[Stationary]:
        return [s for s in self.stationary_points() if s.kind == kind]

    @property
    def minima(self) -> list[Stationary]:
        return self._points("minimum")

    @property
    def saddles(self) -> list[Stationary]:
        return self._points("saddle")

    @property
    def maxima(self) -> list[Stationary]:
        return self._points("maximum")

    def minima_array(self) -> np.ndarray:
        """Minima as an (m, 2) array (m may be 0)."""
        return np.array([[s.x, s.y] for s in self.minima], dtype=float).reshape(-1, 2)

    def describe(self) -> dict[str, Any]:
        (xlo, xhi), (ylo, yhi) = self.domain
        return {
            "name": self.name,
            "title": self.title,
            "formula": self.formula,
            "params": [p.describe() for p in self.PARAMS],
            "domain": {"x": [xlo, xhi], "y": [ylo, yhi]},
            "default_start": list(self.default_start),
            "minima": [s.as_dict() for s in self.minima],
            "saddles": [s.as_dict() for s in self.saddles],
            "maxima": [s.as_dict() for s in self.maxima],
            "constant_hessian": self.constant_hessian,
        }

    def at(self, x: float, y: float, kind: str) -> Stationary:
        """A stationary point with its value computed exactly from the surface."""
        return Stationary(float(x), float(y), float(self.value(np.array([x, y]))), kind)


def _split(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(points, dtype=float)
    if points.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {points.shape}")
    return points[..., 0], points[..., 1]
