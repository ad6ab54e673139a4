"""Build a surface from a reference: a registered name with params, or a user formula."""

from __future__ import annotations

from typing import Any

from engine.surfaces import REGISTRY, Surface, make_surface


def surface_names() -> list[str]:
    return [*REGISTRY, "custom"]


def check_custom_ref(params: dict[str, Any] | None, expr: str | None) -> None:
    """The cheap checks of a `custom` reference (no parsing); raises ValueError."""
    if not expr:
        raise ValueError("surface 'custom' needs 'expr', a formula in x and y, e.g. 'x**2 + 10*y**2'")
    if params:
        raise ValueError("surface 'custom' takes no params; write numbers into 'expr'")


def surface_from_ref(name: str, params: dict[str, Any] | None = None, expr: str | None = None,
                     domain: tuple[tuple[float, float], tuple[float, float]] | None = None) -> Surface:
    """`custom` takes `expr` (parsed safely, never evaluated) and an optional domain; every
    other name takes `params`. Raises ValueError (FormulaError for formulas) on bad input."""
    if name == "custom":
        check_custom_ref(params, expr)
        from engine.surfaces.custom import make_custom  # sympy is imported only when needed

        return make_custom(expr, domain)
    if expr is not None:
        raise ValueError(f"'expr' is only for surface 'custom', not '{name}'")
    surface = make_surface(name, params)
    if domain is not None:
        return _with_domain(surface, domain)
    return surface


def _with_domain(surface: Surface, domain) -> Surface:
    """The same surface with another default domain (a per-instance override)."""
    surface.__dict__["_domain_override"] = (tuple(domain[0]), tuple(domain[1]))
    return surface
