"""A float64 pass over the whitelisted AST, before any sympy work: the fast rejections.

It checks, with the column of the culprit, everything that does not need algebra:
constant sub-expressions (no x, y) must be finite real float64 numbers (log(0), sqrt(-1),
exp(1000), 1/0 are refused); a numeric exponent needs |p| <= MAX_EXPONENT and nested powers
a total degree <= MAX_DEGREE; a constant raised to a power with x or y must be positive.
It also estimates the size of the derivatives (see `_Size`) so that a formula whose second
derivatives would be huge (a product of many factors) is refused before sympy builds them.
So a rejected formula costs a few milliseconds; the sympy builder repeats these checks on
its own values as a safety net (cancellations like x - x can create new constants).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from engine.surfaces.formula_check import Located, op_column
from engine.surfaces.formula_functions import FUNCTIONS
from engine.surfaces.formula_limits import (
    MAX_DEGREE,
    MAX_DERIVATIVE_NODES,
    MAX_EXPONENT,
    FormulaError,
)

_CONSTANT_VALUES = {"pi": np.pi, "e": np.e}
# the estimate here overcounts typical formulas 2-5x (sympy simplifies as it differentiates);
# it only catches the clearly too large, and formula_compile checks the real sizes
ESTIMATE_FACTOR = 2


@dataclass(frozen=True)
class _Size:
    """Estimated tree sizes of a sub-expression (s0), its first (s1) and second (s2) derivative.

    The product rule drives the growth: d(f1...fk) has k terms of k factors, so the rules below
    follow sympy's flattened sums and products (a*b/c is one product of three factors).
    """

    s0: int
    s1: int
    s2: int


_CONSTANT = _Size(1, 0, 0)  # derivative 0: sympy drops it (and its product-rule term)
_VARIABLE = _Size(1, 1, 0)


def _add(parts: list[_Size]) -> _Size:
    return _Size(1 + sum(p.s0 for p in parts), 1 + sum(p.s1 for p in parts), 1 + sum(p.s2 for p in parts))


def _first_of_product(factors: list[tuple[int, int]]) -> int:
    """Size of d(f1...fk) from (size, derivative size) of each factor (0: a constant factor)."""
    size = 1 + sum(f0 for f0, _ in factors)
    return 1 + sum(size - f0 + f1 for f0, f1 in factors if f1)


def _mul(parts: list[_Size]) -> _Size:
    s0 = 1 + sum(p.s0 for p in parts)
    s1 = _first_of_product([(p.s0, p.s1) for p in parts])
    # d2 = sum over non-constant f_i of d(product with f_i replaced by f_i'), each sized by
    # _first_of_product, summed in closed form (O(k), not O(k^2), per product)
    moving = [p for p in parts if p.s1]
    n, b0, b1 = len(moving), sum(p.s0 for p in moving), sum(p.s1 for p in moving)
    s2 = 1
    for p in moving:
        size = s0 - p.s0 + p.s1
        s2 += 1 + (n - 1) * size - (b0 - p.s0) + (b1 - p.s1) + (size - p.s1 + p.s2 if p.s2 else 0)
    return _Size(s0, s1, s2)


def _function(u: _Size) -> _Size:
    """g(u): g'(u) has at most 2 s0(u) + 10 nodes (sigmoid' = sigmoid(u) (1 - sigmoid(u)) holds u
    twice) and its derivative at most 6 s0(u) + 2 s1(u) + 40."""
    g0, g1 = 2 * u.s0 + 10, 6 * u.s0 + 2 * u.s1 + 40
    return _Size(u.s0 + 1, 1 + g0 + u.s1, _first_of_product([(g0, g1), (u.s1, u.s2)]))


def _power_numeric(b: _Size) -> _Size:
    """b**n: d = n * b**(n-1) * b'."""
    return _Size(b.s0 + 2, b.s0 + b.s1 + 4,
                 _first_of_product([(1, 0), (b.s0 + 2, b.s0 + b.s1 + 4), (b.s1, b.s2)]))


def _power_symbolic(b: _Size, e: _Size) -> _Size:
    """b**e, sized as exp(e * log(b))."""
    return _function(_mul([e, _function(b)]))


@dataclass(frozen=True)
class _Info:
    value: float | None  # float64 value when the sub-expression has no x or y
    degree: float  # product of max(1, |p|) along nested numeric powers
    size: _Size


def prepass(tree: ast.Expression, where: Located) -> None:
    """Raise FormulaError for constants, exponents or derivative sizes out of bounds."""
    size = _Pass(where).visit(tree.body).size
    total = size.s0 + 2 * size.s1 + 3 * size.s2  # f; fx, fy; fxx, fxy, fyy
    if total > ESTIMATE_FACTOR * MAX_DERIVATIVE_NODES:
        raise too_complex(total // ESTIMATE_FACTOR)


def too_complex(size: int) -> FormulaError:
    return FormulaError(f"the formula is too complex: its derivatives would have about {size} parts "
                        f"(at most {MAX_DERIVATIVE_NODES}); use fewer factors in products", 1)


def exponent_too_large(snippet: str, column: int) -> FormulaError:
    return FormulaError(f"exponent {snippet} is too large: |exponent| must be at most {MAX_EXPONENT:g}",
                        column)


def degree_too_high(degree: float, column: int) -> FormulaError:
    return FormulaError(f"powers of powers are too high: total degree {degree:g} (at most {MAX_DEGREE:g})",
                        column)


def not_finite(what: str, value: float, column: int) -> FormulaError:
    return FormulaError(f"{what} is not a finite real number (it evaluates to {value})", column)


class _Pass:
    def __init__(self, where: Located) -> None:
        self.where = where
        self.parts: dict[int, list[_Size]] = {}  # id(chain node) -> its flattened operands

    def constant(self, node: ast.AST, value: float, column: int | None = None) -> _Info:
        if not np.isfinite(value):
            column = self.where.column(node) if column is None else column
            raise not_finite(f"'{self.where.snippet(node)}'", value, column)
        return _Info(float(value), 1.0, _CONSTANT)

    def visit(self, node: ast.expr) -> _Info:
        with np.errstate(all="ignore"):
            return self._visit(node)

    def _visit(self, node: ast.expr) -> _Info:
        if isinstance(node, ast.Constant):
            return _Info(float(node.value), 1.0, _CONSTANT)
        if isinstance(node, ast.Name):
            value = _CONSTANT_VALUES.get(node.id)
            return _Info(value, 1.0, _VARIABLE if value is None else _CONSTANT)
        if isinstance(node, ast.UnaryOp):
            inner = self.visit(node.operand)
            if inner.value is not None:
                value = -inner.value if isinstance(node.op, ast.USub) else inner.value
                return _Info(value, inner.degree, _CONSTANT)
            size = _mul([_CONSTANT, inner.size]) if isinstance(node.op, ast.USub) else inner.size
            return _Info(None, inner.degree, size)
        if isinstance(node, ast.Call):
            arg = self.visit(node.args[0])
            if arg.value is not None:
                return self.constant(node, FUNCTIONS[node.func.id][1](np.float64(arg.value)))
            return _Info(None, arg.degree, _function(arg.size))
        if isinstance(node.op, ast.Pow):
            return self._power(node)
        return self._chain(node)

    def _chain(self, node: ast.BinOp) -> _Info:
        """A flattened sum (+, -) or product (*, /), as sympy will hold it."""
        additive = isinstance(node.op, (ast.Add, ast.Sub))
        left = self.visit(node.left)
        right = self.visit(node.right)
        degree = max(left.degree, right.degree)
        if isinstance(node.op, ast.Div) and right.value == 0.0:
            raise FormulaError("division by zero", op_column(self.where, node))
        if left.value is not None and right.value is not None:
            value = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                     ast.Div: np.divide}[type(node.op)](np.float64(left.value), np.float64(right.value))
            return self.constant(node, value, op_column(self.where, node))
        # operands that are chains of the same family are spliced in (sympy flattens them)
        parts = []
        for child, info in ((node.left, left), (node.right, right)):
            size = info.size
            spliced = self.parts.pop(id(child), None)
            if spliced is not None and (child is node.left or isinstance(node.op, (ast.Add, ast.Mult))):
                parts.extend(spliced)  # a chain of the same family: sympy flattens it
            elif child is node.right and isinstance(node.op, ast.Sub):
                parts.append(_mul([_CONSTANT, size]))  # -b
            elif child is node.right and isinstance(node.op, ast.Div):
                parts.append(_power_numeric(size))  # b**-1
            else:
                parts.append(size)
        self.parts[id(node)] = parts
        return _Info(None, degree, _add(parts) if additive else _mul(parts))

    def _power(self, node: ast.BinOp) -> _Info:
        base = self.visit(node.left)
        exponent = self.visit(node.right)
        col = op_column(self.where, node)
        if exponent.value is None:
            if base.value is not None and not base.value > 0:
                raise FormulaError("a number raised to a power containing x or y must be positive",
                                   self.where.column(node.left))
            return _Info(None, max(base.degree, exponent.degree), _power_symbolic(base.size, exponent.size))
        p = exponent.value
        if not abs(p) <= MAX_EXPONENT:
            raise exponent_too_large(self.where.snippet(node.right), self.where.column(node.right))
        degree = max(1.0, abs(p)) * base.degree
        if degree > MAX_DEGREE:
            raise degree_too_high(degree, self.where.column(node.right))
        if base.value is not None:
            return self.constant(node, np.power(np.float64(base.value), np.float64(p)), col)
        return _Info(None, degree, _power_numeric(base.size))
