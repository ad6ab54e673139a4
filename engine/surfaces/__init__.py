"""Surface registry: the single table behind `/api/surfaces`, validation and the page's menu.

Adding a surface = one module + one line in `REGISTRY` + its test.
"""

from __future__ import annotations

from typing import Any

from engine.params import resolve as resolve_params
from engine.surfaces.base import Stationary, Surface, curvature_class
from engine.surfaces.beale import Beale
from engine.surfaces.himmelblau import Himmelblau
from engine.surfaces.least_squares import LeastSquares
from engine.surfaces.logistic import Logistic
from engine.surfaces.monkey_saddle import MonkeySaddle
from engine.surfaces.quadratic import Quadratic
from engine.surfaces.rastrigin import Rastrigin
from engine.surfaces.rosenbrock import Rosenbrock
from engine.surfaces.saddle import Saddle
from engine.surfaces.six_hump_camel import SixHumpCamel
from engine.surfaces.styblinski_tang import StyblinskiTang
from engine.surfaces.tiny_net import TinyNet

REGISTRY: dict[str, type[Surface]] = {
    cls.name: cls
    for cls in (
        Quadratic,
        Saddle,
        MonkeySaddle,
        Rosenbrock,
        Himmelblau,
        Rastrigin,
        Beale,
        SixHumpCamel,
        StyblinskiTang,
        TinyNet,
        LeastSquares,
        Logistic,
    )
}


def make_surface(name: str, params: dict[str, Any] | None = None) -> Surface:
    """Build a registered surface by name, validating its params (ValueError names the problem)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown surface '{name}'; allowed: {', '.join(REGISTRY)}")
    # names first: a param called "self" must be a ValueError, not a clash with __init__'s self
    resolve_params(REGISTRY[name].PARAMS, params, f"surface '{name}'")
    return REGISTRY[name](**(params or {}))


__all__ = ["REGISTRY", "Stationary", "Surface", "curvature_class", "make_surface"]
