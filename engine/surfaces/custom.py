"""The `custom` surface: f(x, y) typed by the user, with exact symbolic derivatives.

    make_custom("x**2 + 10*y**2 - 0.5*sin(3*x*y)", domain=((-3, 3), (-2, 2)))

The text is parsed safely (`formula.py`: an AST whitelist, never eval/sympify), differentiated
by sympy and compiled once per distinct expression (`formula_compile.py`, LRU of 128).
Non-finite values (log(x) for x <= 0, sqrt of a negative) come out as nan/inf silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.lru import LRU
from engine.surfaces.base import Stationary, Surface
from engine.surfaces.custom_stationary import find_stationary
from engine.surfaces.formula_compile import CompiledFormula, compile_formula

DEFAULT_EXPR = "x**2 + 10*y**2 - 0.5*sin(3*x*y)"
DEFAULT_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))
MAX_DOMAIN_ABS = 1e6  # |lo|, |hi| of a custom domain

Domain = tuple[tuple[float, float], tuple[float, float]]
_FOUND = LRU(128)  # (expr, domain) -> the numerically found stationary points


class CustomSurface(Surface):
    """f(x, y) given as text (see module doc).

    `constant_hessian` is true when the symbolic Hessian has no x or y in it (a quadratic):
    then the theory block applies and, if H is non-singular, `stationary_points()` gives the
    single stationary point -H^{-1} grad f(0, 0) and its kind. Otherwise the stationary points
    inside the domain are found by multi-start Newton on the exact derivatives
    (custom_stationary.py) and classified by the Hessian. The default start is 20% in from the left
    and 20% down from the top of the domain ((-3, 3) on [-5, 5]^2), moved to the nearest point
    where f is defined when it is not (log(x) + y**2 starts at x > 0).
    """

    name = "custom"
    title = "Custom formula"
    formula = ""
    PARAMS = ()
    default_domain = DEFAULT_DOMAIN

    def __init__(self, expr: str = DEFAULT_EXPR, domain: Any = None) -> None:
        super().__init__()
        self._compiled: CompiledFormula = compile_formula(expr)
        self.expr_text = expr.strip()
        self.expr = self._compiled.expr  # the sympy expression
        self.title = f"Custom: {self.expr_text}"
        self.formula = self._compiled.text("f", latex=True)
        self.constant_hessian = self._compiled.constant_hessian
        self.default_domain = check_domain(domain)
        self.default_start = self._finite_start()

    def _finite_start(self) -> tuple[float, float]:
        """20% in from the left, 20% down from the top; if f or ∇f is not finite there (log(x) at
        x < 0), the nearest point of a 41 × 41 grid of the domain where both are finite."""
        (xlo, xhi), (ylo, yhi) = self.default_domain
        nominal = np.array(default_start(self.default_domain))
        gx, gy = np.meshgrid(np.linspace(xlo, xhi, 41)[1:-1], np.linspace(ylo, yhi, 41)[1:-1])
        pts = np.vstack([nominal, np.column_stack([gx.ravel(), gy.ravel()])])
        with np.errstate(all="ignore"):
            ok = np.isfinite(self.value(pts)) & np.all(np.isfinite(self.grad(pts)), axis=-1)
        if ok[0] or not ok.any():
            return float(nominal[0]), float(nominal[1])
        cand = pts[ok]
        best = cand[np.argmin(np.linalg.norm(cand - nominal, axis=1))]
        return float(best[0]), float(best[1])

    # ---- geometry -----------------------------------------------------------
    def _value(self, x, y):
        return _real(self._compiled.value_fn(x, y))

    def _grad(self, x, y):
        fx, fy = self._compiled.grad_fn(x, y)
        return _real(fx), _real(fy)

    def _hessian(self, x, y):
        fxx, fxy, fyy = self._compiled.hessian_fn(x, y)
        return _real(fxx), _real(fxy), _real(fyy)

    def stationary_points(self) -> list[Stationary]:
        """A quadratic's exact single point; otherwise the numeric search (custom_stationary.py),
        run once per (formula, domain) and cached."""
        if self.constant_hessian:
            points = self._compiled.stationary
        else:
            key = (self.expr_text, self.default_domain)
            c = self._compiled
            points = _FOUND.get(key, lambda: find_stationary(c.value_fn, c.grad_fn, c.hessian_fn, self.default_domain))
        return [self.at(px, py, kind) for px, py, kind in points]

    # ---- text ---------------------------------------------------------------
    def derivatives(self, latex: bool = False) -> dict[str, str]:
        """{"f", "fx", "fy", "fxx", "fxy", "fyy"}: sympy's str of each (LaTeX if `latex`)."""
        return self._compiled.derivative_texts(latex=latex)

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["expr"] = self.expr_text
        out["derivatives"] = self.derivatives()
        out["derivatives_latex"] = self.derivatives(latex=True)
        return out


def make_custom(expr: str, domain: Any = None) -> CustomSurface:
    """A custom surface for the formula `expr` (compiled once per distinct expression).

    `domain` is ((xlo, xhi), (ylo, yhi)) or {"x": [lo, hi], "y": [lo, hi]}; default [-5, 5]^2.
    Raises FormulaError (a ValueError with `.column`) for a rejected formula and ValueError for
    a bad domain.
    """
    return CustomSurface(expr, domain)


def default_start(domain: Domain) -> tuple[float, float]:
    """20% in from the left and 20% down from the top of the domain."""
    (xlo, xhi), (ylo, yhi) = domain
    return (xlo + 0.2 * (xhi - xlo), yhi - 0.2 * (yhi - ylo))


def check_domain(domain: Any) -> Domain:
    """Validate a domain: two (lo, hi) pairs of finite numbers, lo < hi, |value| <= 1e6."""
    if domain is None:
        return DEFAULT_DOMAIN
    if isinstance(domain, Mapping):
        if set(domain) != {"x", "y"}:
            raise ValueError(f"custom surface: domain must have keys 'x' and 'y', got {sorted(domain)}")
        domain = (domain["x"], domain["y"])
    if not (isinstance(domain, Sequence) and len(domain) == 2):
        raise ValueError(f"custom surface: domain must be ((xlo, xhi), (ylo, yhi)), got {domain!r}")
    return (_check_interval(domain[0], "x"), _check_interval(domain[1], "y"))


def _check_interval(pair: Any, axis: str) -> tuple[float, float]:
    where = f"custom surface: domain {axis}"
    if not (isinstance(pair, Sequence) and len(pair) == 2):
        raise ValueError(f"{where} must be [lo, hi], got {pair!r}")
    for v in pair:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"{where} must hold numbers, got {pair!r}")
    lo, hi = float(pair[0]), float(pair[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and abs(lo) <= MAX_DOMAIN_ABS
            and abs(hi) <= MAX_DOMAIN_ABS and lo < hi):
        raise ValueError(f"{where} = [{lo:g}, {hi:g}] must satisfy lo < hi with "
                         f"|lo|, |hi| <= {MAX_DOMAIN_ABS:g}")
    return lo, hi


def _real(a):
    """Compiled functions are real by construction (checked when compiling); this is a guard."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        a = np.where(a.imag == 0, a.real, np.nan)
    return a
