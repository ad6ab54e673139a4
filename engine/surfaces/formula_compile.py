"""Exact derivatives of a parsed formula, compiled once to vectorized numpy functions.

`compile_formula(text)` parses (`formula.parse_formula`), differentiates symbolically
(fx, fy, fxx, fxy, fyy) and compiles f, (fx, fy) and (fxx, fxy, fyy) with `sympy.lambdify`.
lambdify generates Python source from the sympy tree built by `formula.py`, never from the
user's text; before that, every node of every tree is checked to be one of: the symbols x, y,
a finite number, pi, e, + * ** or a whitelisted function, so nothing else can reach code
generation. Numbers are printed as float literals (repr), so a huge rational coefficient
becomes a float (possibly inf), never a giant Python int.

|u| is differentiated as a real function: d|u| = sign(u) du and d sign(u) = 0, so the Hessian
is the almost-everywhere one (the Dirac delta at u = 0 is dropped).

Both caches are bounded LRUs (128 entries): one keyed by the exact text (failures are cached
too, so a slow-to-reject formula is only examined once), one keyed by the expression, so
"x**2" and " x**2" share one compiled object.

Cost bound: sympy's differentiation and lambdify cost is proportional to the size of the
derivatives (~25 us per node each), and the product rule makes that size grow like k**3 for
a product of k factors. So the size is estimated before each round of differentiation: on
the AST in `parse_formula` (formula_prepass.py), then on f (`formula_cost.derivative_size`),
then on fx and fy, and finally counted; f and its five derivatives together may have at
most MAX_DERIVATIVE_NODES = 20 000 nodes. The slowest accepted formulas found by search
(12 sine factors, towers of sigmoid/tan, products of (x+k)**y) compile in ~0.5 s; formulas
refused for size are refused in ~20 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from engine.lru import LRU
from engine.surfaces.base import curvature_class
from engine.surfaces.formula import numeric_value, parse_formula
from engine.surfaces.formula_cost import derivative_size, tree_size
from engine.surfaces.formula_functions import FUNCTION_CLASSES, RealAbs, canonical
from engine.surfaces.formula_limits import MAX_DERIVATIVE_NODES, MAX_EXACT, FormulaError, X, Y
from engine.surfaces.formula_prepass import too_complex

CACHE_SIZE = 128
CSE_MAX_NODES = 3000  # above this total derivative size, compile without common-subexpression search
NAMES = ("f", "fx", "fy", "fxx", "fxy", "fyy")

class _Printer(NumPyPrinter):
    """numpy code printer that writes every number as a float64 literal (full precision)."""

    def _float(self, value: float) -> str:
        if not np.isfinite(value):
            return "(1e999)" if value > 0 else "(-1e999)"  # overflowing literals are +-inf
        return f"({value!r})" if value < 0 else repr(value)

    def _print_Float(self, e):
        return self._float(float(e))

    def _print_Integer(self, e):
        return str(e.p) if abs(e.p) <= 2**53 else self._float(float(e))

    def _print_Rational(self, e):
        if abs(e.p) <= MAX_EXACT and e.q <= MAX_EXACT:
            return f"({e.p}/{e.q})"  # Python's int/int is correctly rounded
        return self._float(float(e))

    _print_Half = _print_Rational

    def _call(self, numpy_name: str, arg) -> str:
        return f"{self._module_format('numpy.' + numpy_name)}({self._print(arg)})"

    def _print_RealAbs(self, e):
        return self._call("absolute", e.args[0])

    def _print_RealSign(self, e):
        return self._call("sign", e.args[0])

    def _print_sigmoid(self, e):
        return f"(1/(1 + {self._call('exp', -e.args[0])}))"


@dataclass(eq=False)
class CompiledFormula:
    """A parsed formula, its exact derivatives and their compiled numpy functions."""

    expr: sp.Expr
    exprs: dict[str, sp.Expr]  # f, fx, fy, fxx, fxy, fyy (sympy)
    constant_hessian: bool
    value_fn: object
    grad_fn: object
    hessian_fn: object
    stationary: tuple[tuple[float, float, str], ...]  # (x, y, kind)
    _texts: dict = field(default_factory=dict, repr=False)

    def text(self, name: str, latex: bool = False) -> str:
        """sympy's str (or LaTeX) of f or one derivative ("f", "fx", ..., "fyy"), computed once."""
        key = (name, latex)
        if key not in self._texts:
            expr = self.exprs[name]
            try:
                self._texts[key] = sp.latex(expr) if latex else sp.sstr(expr, full_prec=False)
            except (ValueError, RecursionError):  # e.g. an integer too long for str(); not expected
                self._texts[key] = "(too long to display)"
        return self._texts[key]

    def derivative_texts(self, latex: bool = False) -> dict[str, str]:
        return {name: self.text(name, latex) for name in NAMES}


_BY_TEXT = LRU(CACHE_SIZE)
_BY_EXPR = LRU(CACHE_SIZE)


def compile_formula(text: str) -> CompiledFormula:
    """Parse, differentiate and compile `text` (cached); raises FormulaError."""
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be text, got {type(text).__name__}", 1)
    result = _BY_TEXT.get(text, lambda: _compile_text(text))
    if isinstance(result, tuple):  # a cached rejection: (message, column); raise a fresh error
        raise FormulaError(*result)
    return result


def is_cached(text: str | None) -> bool:
    """Whether `text` was compiled (or rejected) already: compiling it again costs nothing."""
    with _BY_TEXT.lock:
        return text in _BY_TEXT.data


def clear_cache() -> None:
    _BY_TEXT.clear()
    _BY_EXPR.clear()


def _compile_text(text: str):
    try:
        expr = parse_formula(text)
    except FormulaError as err:
        return (err.message, err.column)
    # srepr tells 2 from 2.0 (which compare equal in sympy), so each keeps its own display
    return _BY_EXPR.get(sp.srepr(expr), lambda: _compile_expr(expr))


def _compile_expr(expr: sp.Expr):
    try:
        return _build(expr)
    except FormulaError as err:
        return (err.message, err.column)
    except (RecursionError, MemoryError, ValueError, TypeError, ArithmeticError) as err:
        return (f"the formula could not be compiled ({type(err).__name__})", 1)


def _too_complex(size: int) -> None:
    if size > MAX_DERIVATIVE_NODES:
        raise too_complex(size)


def _build(expr: sp.Expr) -> CompiledFormula:
    # estimate before each round of differentiation: sympy's cost is proportional to the output
    _too_complex(tree_size(expr) + 2 * derivative_size(expr))
    fx, fy = canonical(sp.diff(expr, X)), canonical(sp.diff(expr, Y))
    _too_complex(tree_size(expr) + tree_size(fx) + tree_size(fy)
                 + 2 * derivative_size(fx) + derivative_size(fy))
    fxx, fxy, fyy = (canonical(sp.diff(fx, X)), canonical(sp.diff(fx, Y)), canonical(sp.diff(fy, Y)))
    # |u| has a zero second derivative almost everywhere but is not a quadratic
    constant_hessian = not (fxx.free_symbols or fxy.free_symbols or fyy.free_symbols or expr.has(RealAbs))
    exprs = dict(zip(NAMES, (expr, fx, fy, fxx, fxy, fyy), strict=True))
    size = sum(_checked_size(e) for e in exprs.values())
    _too_complex(size)
    cse = size <= CSE_MAX_NODES  # common subexpressions speed up evaluation but cost ~3x to find
    value_fn = _lambdify(exprs["f"], cse)
    grad_fn = _lambdify([exprs["fx"], exprs["fy"]], cse)
    hessian_fn = _lambdify([exprs["fxx"], exprs["fxy"], exprs["fyy"]], cse)
    _probe(value_fn, grad_fn, hessian_fn)
    stationary = _stationary(exprs) if constant_hessian else ()
    return CompiledFormula(expr, exprs, constant_hessian, value_fn, grad_fn, hessian_fn, stationary)


def _checked_size(expr: sp.Expr) -> int:
    """Node count; also a last whitelist: only x, y, finite numbers, pi, e, + * ** and known functions."""
    count = 0
    for node in sp.preorder_traversal(expr):
        count += 1
        if count > MAX_DERIVATIVE_NODES:
            return count
        if node.is_Symbol:
            ok = node in (X, Y)
        elif node.is_Number:
            ok = bool(node.is_Rational or node.is_Float) and node.is_finite is True
        else:
            ok = (node is sp.pi or node is sp.E or node.is_Add or node.is_Mul or node.is_Pow
                  or node.func in FUNCTION_CLASSES)
        if not ok:
            raise FormulaError(f"the formula's derivatives contain '{type(node).__name__}', "
                               "which is not supported", 1)
    return count


def _lambdify(expr, cse: bool):
    printer = _Printer({"fully_qualified_modules": False, "inline": True,
                        "allow_unknown_functions": False, "user_functions": {}})
    return sp.lambdify((X, Y), expr, modules="numpy", printer=printer, cse=cse, docstring_limit=0)


def _probe(*functions) -> None:
    """Run each compiled function once on a point and an array: real results of the right kind."""
    points = (np.float64(0.3), np.float64(-0.7)), (np.array([0.5, -1.5]), np.array([2.0, 0.25]))
    with np.errstate(all="ignore"):
        for xs, ys in points:
            for function in functions:
                out = function(xs, ys)
                for part in out if isinstance(out, list) else [out]:
                    if np.iscomplexobj(np.asarray(part)):
                        raise FormulaError("the formula is not real-valued", 1)


def _stationary(exprs: dict[str, sp.Expr]) -> tuple[tuple[float, float, str], ...]:
    """The single stationary point of a quadratic with non-singular constant Hessian H.

    grad f(p) = g0 + H p with g0 = grad f(0, 0), so p = -H^{-1} g0, by Cramer's rule in sympy
    arithmetic (exact for rational coefficients), then rounded to float64.
    """
    zero = {X: 0, Y: 0}
    a, b, d = (exprs[k] for k in ("fxx", "fxy", "fyy"))
    gx, gy = exprs["fx"].xreplace(zero), exprs["fy"].xreplace(zero)
    hess = np.array([[numeric_value(a), numeric_value(b)], [numeric_value(b), numeric_value(d)]])
    if not np.all(np.isfinite(hess)):
        return ()
    kind = {"positive_definite": "minimum", "negative_definite": "maximum",
            "indefinite": "saddle"}.get(curvature_class(np.linalg.eigvalsh(hess)))
    if kind is None:
        return ()
    det = a * d - b * b
    px, py = numeric_value((-d * gx + b * gy) / det), numeric_value((b * gx - a * gy) / det)
    if not (np.isfinite(px) and np.isfinite(py)):
        return ()
    return ((px, py, kind),)
