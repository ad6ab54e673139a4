"""Limits, names and the error type of the custom-formula parser (see `formula.py`).

Why these bounds make parsing and compiling cheap: at most 500 characters give at most
200 expression nodes; nesting depth 30 (brackets and operator nesting) bounds every recursion;
numeric literals satisfy |c| <= 1e6; a numeric exponent satisfies |p| <= 64 and the product of
the exponents along nested powers ((x**8)**8) is <= 64, so an exact integer never exceeds
about 1e1000 before it is turned into a float; every constant sub-expression other than a
small rational or a rational multiple of pi or e is evaluated in float64 (never by sympy's
arbitrary-precision evaluation); f and its first and second derivatives together are capped
at MAX_DERIVATIVE_NODES tree nodes, estimated before sympy builds them.
"""

from __future__ import annotations

import sympy as sp

from engine.surfaces.formula_functions import FUNCTIONS

MAX_CHARS = 500  # characters of formula text
MAX_NODES = 200  # expression nodes of the parsed tree (numbers, names, operators, calls)
MAX_DEPTH = 30  # bracket nesting and operator nesting (a + b + c ... counts as one level)
MAX_CONSTANT = 1e6  # |c| of a numeric literal
MAX_EXPONENT = 64.0  # |p| of a numeric exponent
MAX_DEGREE = 64.0  # product of max(1, |p|) along nested powers: ((x+1)**8)**8 is the limit
MAX_EXACT = 10**15  # an exact rational with a larger numerator/denominator becomes a float
MAX_DERIVATIVE_NODES = 20_000  # tree size of f and its five derivatives together (estimated first)

# Plain (complex) symbols on purpose: sympy then makes no branch-dependent rewrites such as
# (-x*x)**0.3 -> (0.59 + 0.81*I)*|x|**0.6; the formulas are evaluated as real numpy code.
X, Y = sp.symbols("x y")
VARIABLES = {"x": X, "y": Y}
CONSTANTS = {"pi": sp.pi, "e": sp.E}

ALLOWED_NAMES_TEXT = "use x, y, pi, e or a function: " + ", ".join(FUNCTIONS)


class FormulaError(ValueError):
    """A rejected formula: `column` is the 1-based column of the offending part of the text."""

    def __init__(self, message: str, column: int = 1) -> None:
        self.message = message
        self.column = max(1, int(column))
        super().__init__(f"column {self.column}: {message}")

