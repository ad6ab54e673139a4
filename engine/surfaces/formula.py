"""Safe parsing of user-typed formulas f(x, y) into sympy expressions.

The text is never evaluated as Python: no eval/exec, and never sympy's `sympify`/`parse_expr`
(which call eval). Steps, each raising `FormulaError` with the 1-based column of the culprit:

1. raw text: a str of at most 500 printable ASCII characters (so Unicode look-alikes such as
   a full-width x, which Python's parser would NFKC-normalize to `x`, are rejected up front),
   no backslash, # or ;, brackets nested at most 30 deep;
2. `ast.parse(text, mode="eval")`, then at most 200 expression nodes and nesting depth 30;
3. a whitelist walk (`formula_check.py`): numbers, x, y, pi, e, + - * / **, unary -/+ and
   one-argument calls of the functions in `FUNCTIONS` (`formula_functions.py`);
4. a float64 pre-pass (`formula_prepass.py`): constants finite and real, exponents and
   derivative sizes bounded; up to here a rejection costs a few milliseconds;
5. the sympy expression is built here node by node from the accepted tree (`_Builder`),
   re-checking the same bounds on sympy's values (x - x + 100 is a constant exponent too).

Constants are kept exact only as small rationals (numerator and denominator <= 1e15) and
rational multiples of pi or e; every other constant sub-expression is evaluated in float64
(sympy's arbitrary-precision evaluation of things like exp(exp(exp(10))) never runs), and
must be a finite real number. A numeric exponent needs |p| <= 64 and nested powers a total
degree <= 64, so nothing like 9**9**9 or (x+1)**100000 is ever computed.
"""

from __future__ import annotations

import ast

import numpy as np
import sympy as sp

from engine.surfaces.formula_check import Located, check_size, check_whitelist, op_column
from engine.surfaces.formula_functions import NUMPY_OF, canonical, exp
from engine.surfaces.formula_limits import (
    ALLOWED_NAMES_TEXT,
    CONSTANTS,
    FUNCTIONS,
    MAX_CHARS,
    MAX_DEGREE,
    MAX_DEPTH,
    MAX_EXACT,
    MAX_EXPONENT,
    VARIABLES,
    FormulaError,
    X,
    Y,
)
from engine.surfaces.formula_prepass import degree_too_high, exponent_too_large, not_finite, prepass

__all__ = ["FormulaError", "check_formula", "parse_formula", "numeric_value", "ALLOWED_NAMES_TEXT", "X", "Y"]

_FORBIDDEN_CHARS = {
    "\\": "backslashes are not allowed",
    "#": "comments (#) are not allowed",
    ";": "';' is not allowed: a formula is one expression",
}


def check_formula(text: str) -> None:
    """Steps 1-4 only (no sympy): raises FormulaError, else the formula is likely to compile.

    Cheap (milliseconds for 500 characters) and side-effect free, so a request validator may call
    it; step 5 and the derivatives may still refuse the formula (`compile_formula`)."""
    _checked_tree(text)


def _checked_tree(text: str) -> tuple[ast.Expression, Located]:
    lead = _check_text(text)
    body = text[lead:]
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as err:  # includes "too many nested parentheses"
        if not err.offset:  # the parser ran out of text: point just after its end
            raise FormulaError("syntax error: the formula is incomplete",
                               len(body.rstrip()) + 1 + lead) from None
        column = min(err.offset, len(body) + 1) + lead
        raise FormulaError(f"syntax error: {err.msg}", column) from None
    except (ValueError, MemoryError, RecursionError):
        raise FormulaError("the formula could not be parsed", 1) from None
    where = Located(body, lead)
    check_size(tree, where)
    check_whitelist(tree, where)
    prepass(tree, where)  # float64 checks of constants/exponents and a size estimate: fast rejections
    return tree, where


def parse_formula(text: str) -> sp.Expr:
    """Validate `text` and return its sympy expression in the symbols x, y (see the module doc)."""
    tree, where = _checked_tree(text)
    try:
        expr, _degree = _Builder(where).build(tree.body)
        return canonical(expr)
    except FormulaError:
        raise
    except (ArithmeticError, ValueError, TypeError, RecursionError) as err:  # a guard, not expected
        raise FormulaError(f"the formula could not be interpreted ({type(err).__name__})", 1) from None


def _check_text(text: object) -> int:
    """Raw-text checks; returns the number of leading spaces (the parser rejects indentation)."""
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be text, got {type(text).__name__}", 1)
    if len(text) > MAX_CHARS:
        raise FormulaError(f"the formula is too long: {len(text)} characters (at most {MAX_CHARS})",
                           MAX_CHARS + 1)
    depth = 0
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            if ch in "\r\n":
                message = "line breaks are not allowed: write the formula on one line"
            elif ord(ch) > 127:
                message = (f"character {ch!r} (U+{ord(ch):04X}) is not allowed: only plain ASCII "
                           "letters, digits, spaces, ( ) . and + - * / **")
            else:
                message = f"control character U+{ord(ch):04X} is not allowed"
            raise FormulaError(message, i + 1)
        if ch in _FORBIDDEN_CHARS:
            raise FormulaError(_FORBIDDEN_CHARS[ch], i + 1)
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"brackets are nested too deeply (at most {MAX_DEPTH} levels)", i + 1)
        elif ch in ")]}":
            depth -= 1
    if not text.strip():
        raise FormulaError("the formula is empty: type an expression in x and y, e.g. x**2 + 10*y**2", 1)
    return len(text) - len(text.lstrip(" "))


# ---- numbers ---------------------------------------------------------------

def numeric_value(expr: sp.Expr) -> float:
    """float64 value of a symbol-free expression built by this module (nan if not a real number).

    Computed with numpy float64 arithmetic, never with sympy's arbitrary precision, so it
    costs O(size) whatever the magnitudes.
    """
    with np.errstate(all="ignore"):
        return float(_numeric(expr))


def _numeric(e: sp.Expr) -> np.float64:
    if e.is_Rational or e.is_Float:
        try:
            return np.float64(float(e))
        except (OverflowError, ValueError):
            return np.float64(np.nan)
    if e is sp.pi:
        return np.float64(np.pi)
    if e is sp.E:
        return np.float64(np.e)
    if e.is_Add:
        return np.sum([_numeric(a) for a in e.args], dtype=np.float64)
    if e.is_Mul:
        return np.prod([_numeric(a) for a in e.args], dtype=np.float64)
    if e.is_Pow:
        return np.power(_numeric(e.base), _numeric(e.exp))
    function = NUMPY_OF.get(e.func)
    if function is not None and len(e.args) == 1:
        return function(_numeric(e.args[0]))
    return np.float64(np.nan)  # I, zoo, nan, oo and anything unexpected


def _float(value: float) -> sp.Float:
    return sp.Float(float(value) + 0.0)  # + 0.0 turns -0.0 into 0.0 (sympy: Float(-0.0) != 0)


def _is_small_rational(e: sp.Expr) -> bool:
    return bool(e.is_Rational) and abs(e.p) <= MAX_EXACT and e.q <= MAX_EXACT


def _is_exact_constant(e: sp.Expr) -> bool:
    """Small rationals and rational multiples of pi or e stay exact (nice display, cheap to use)."""
    if _is_small_rational(e) or e is sp.pi or e is sp.E:
        return True
    return (e.is_Mul and len(e.args) == 2 and _is_small_rational(e.args[0])
            and (e.args[1] is sp.pi or e.args[1] is sp.E))


_NOT_REAL = (sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I)


def _tame(expr: sp.Expr, column: int, what: str) -> sp.Expr:
    """Keep the tree small and real: constants exact-but-small or float64, large rationals -> Float."""
    if expr.free_symbols:
        if expr.has(*_NOT_REAL):
            raise FormulaError(f"{what} is not a finite real number", column)
        big = {a: sp.Float(a) for a in expr.atoms(sp.Rational) if not _is_small_rational(a)}
        return expr.xreplace(big) if big else expr
    if _is_exact_constant(expr):
        return expr
    value = numeric_value(expr)
    if not np.isfinite(value):
        raise not_finite(what, value, column)
    return _float(value)


# ---- building the sympy tree -------------------------------------------------

class _Builder:
    """Turns an already whitelisted AST into (sympy expression, degree).

    `degree` is the product of max(1, |p|) along nested numeric powers, bounded by MAX_DEGREE.
    """

    def __init__(self, where: Located) -> None:
        self.where = where

    def build(self, node: ast.expr) -> tuple[sp.Expr, float]:
        col = self.where.column(node)
        if isinstance(node, ast.Constant):
            value = node.value
            return (sp.Integer(value) if isinstance(value, int) else _float(value)), 1.0
        if isinstance(node, ast.Name):
            return (VARIABLES | CONSTANTS)[node.id], 1.0
        if isinstance(node, ast.UnaryOp):
            operand, degree = self.build(node.operand)
            return (-operand if isinstance(node.op, ast.USub) else operand), degree
        if isinstance(node, ast.Call):
            return self._call(node, col)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        raise FormulaError(f"'{self.where.snippet(node)}' is not allowed", col)  # unreachable after checks

    def _call(self, node: ast.Call, col: int) -> tuple[sp.Expr, float]:
        name = node.func.id
        arg, degree = self.build(node.args[0])
        sympy_function, numpy_function = FUNCTIONS[name]
        what = f"'{self.where.snippet(node)}'"
        if arg.free_symbols:
            return _tame(sympy_function(arg), col, what), degree
        value = numeric_value(arg)  # a constant argument: evaluate in float64 right away
        with np.errstate(all="ignore"):
            result = float(numpy_function(np.float64(value)))
        if not np.isfinite(result):
            raise not_finite(what, result, col)
        return _float(result), degree

    def _binop(self, node: ast.BinOp) -> tuple[sp.Expr, float]:
        left, left_degree = self.build(node.left)
        right, right_degree = self.build(node.right)
        col = op_column(self.where, node)
        what = f"'{self.where.snippet(node)}'"
        degree = max(left_degree, right_degree)
        op = node.op
        if isinstance(op, ast.Add):
            result = left + right
        elif isinstance(op, ast.Sub):
            result = left - right
        elif isinstance(op, ast.Mult):
            result = left * right
        elif isinstance(op, ast.Div):
            if right == 0 or (right.is_Float and float(right) == 0.0):
                raise FormulaError("division by zero", col)
            result = left / right
        else:
            return self._power(node, left, left_degree, right, right_degree, col, what)
        return _tame(result, col, what), degree

    def _power(self, node, base, base_degree, exponent, exponent_degree, col, what):
        exponent_col = self.where.column(node.right)
        if exponent.free_symbols:  # x**y, 2**x: nothing to expand, but keep it real
            if not base.free_symbols and not numeric_value(base) > 0:
                raise FormulaError("a number raised to a power containing x or y must be positive",
                                   self.where.column(node.left))
            power = exp(exponent) if base is sp.E else base**exponent  # sympy would make its own exp
            return _tame(power, col, what), max(base_degree, exponent_degree)
        p = numeric_value(exponent)
        if not abs(p) <= MAX_EXPONENT:
            raise exponent_too_large(self.where.snippet(node.right), exponent_col)
        degree = max(1.0, abs(p)) * base_degree
        if degree > MAX_DEGREE:
            raise degree_too_high(degree, exponent_col)
        if exponent.is_Float and float(p).is_integer():
            exponent = sp.Integer(int(p))  # x**2.0 -> x**2: exact derivatives, nicer display
        if base.free_symbols:
            return _tame(base**exponent, col, what), degree
        if base.is_Rational and exponent.is_Integer:  # exact and bounded: (1e15)**64 at most
            return _tame(base**exponent, col, what), degree
        with np.errstate(all="ignore"):
            value = float(np.power(numeric_value(base), p))
        if not np.isfinite(value):
            raise not_finite(what, value, col)
        return _float(value), degree
