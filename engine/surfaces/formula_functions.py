"""The functions a formula may call, as opaque sympy functions with exact derivatives.

Why not sympy's own sin/exp/Abs/...: their automatic evaluation and assumption handlers can
take seconds on innocent input (sigmoid(x/tanh(...)) made sympy ask whether exp(-t) is
rational, which expanded polynomials for 20 s), and Abs assumes complex arguments, so its
derivative brings in re/im/arg. These classes have no automatic evaluation and no
assumptions: sympy only applies their `fdiff`. Each is named like sympy's, so the str, LaTeX
and numpy printers treat them as the usual functions. All are real functions of a real
argument; where they are undefined the compiled numpy code gives nan.
"""

from __future__ import annotations

import numpy as np
import sympy as sp


def _power(latex: str, exp: str | None) -> str:
    """LaTeX of f(u)**exp (sympy's printer passes `exp` when the function is a power's base)."""
    return latex if exp is None else rf"\left({latex}\right)^{{{exp}}}"


class _RealFunction(sp.Function):
    nargs = 1

    @classmethod
    def eval(cls, u):
        return None  # never rewrite automatically

    def fdiff(self, argindex=1):
        return self.derivative(self.args[0])

    @staticmethod
    def derivative(u):
        raise NotImplementedError


class sin(_RealFunction):
    @staticmethod
    def derivative(u):
        return cos(u)


class cos(_RealFunction):
    @staticmethod
    def derivative(u):
        return -sin(u)


class tan(_RealFunction):
    @staticmethod
    def derivative(u):
        return 1 + tan(u) ** 2


class exp(_RealFunction):
    @staticmethod
    def derivative(u):
        return exp(u)

    def _latex(self, printer, exp=None):
        return _power(rf"e^{{{printer._print(self.args[0])}}}", exp)


class log(_RealFunction):
    @staticmethod
    def derivative(u):
        return 1 / u


class sinh(_RealFunction):
    @staticmethod
    def derivative(u):
        return cosh(u)


class cosh(_RealFunction):
    @staticmethod
    def derivative(u):
        return sinh(u)


class tanh(_RealFunction):
    @staticmethod
    def derivative(u):
        return 1 - tanh(u) ** 2


class atan(_RealFunction):
    @staticmethod
    def derivative(u):
        return 1 / (1 + u**2)


class asin(_RealFunction):
    @staticmethod
    def derivative(u):
        return (1 - u**2) ** -sp.S.Half


class acos(_RealFunction):
    @staticmethod
    def derivative(u):
        return -((1 - u**2) ** -sp.S.Half)


class sigmoid(_RealFunction):
    """1 / (1 + exp(-u)); derivative sigmoid(u) (1 - sigmoid(u))."""

    @staticmethod
    def derivative(u):
        return sigmoid(u) * (1 - sigmoid(u))

    def _latex(self, printer, exp=None):
        return _power(rf"\sigma\left({printer._print(self.args[0])}\right)", exp)


class RealSign(_RealFunction):
    """sign(u); its derivative is taken as 0 (true away from u = 0)."""

    @staticmethod
    def derivative(u):
        return sp.S.Zero

    def _sympystr(self, printer):
        return f"sign({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        return _power(rf"\operatorname{{sign}}\left({printer._print(self.args[0])}\right)", exp)


class RealAbs(_RealFunction):
    """|u|; derivative sign(u), so the Hessian is the almost-everywhere one (no Dirac delta)."""

    @staticmethod
    def derivative(u):
        return RealSign(u)

    def _sympystr(self, printer):
        return f"abs({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        return _power(rf"\left|{printer._print(self.args[0])}\right|", exp)


def sqrt(u):
    return u**sp.S.Half


def _sigmoid_numpy(v):
    return 1.0 / (1.0 + np.exp(-v))


# name typed by the user -> (sympy builder, numpy float64 function for constant arguments)
FUNCTIONS = {
    "sin": (sin, np.sin),
    "cos": (cos, np.cos),
    "tan": (tan, np.tan),
    "exp": (exp, np.exp),
    "log": (log, np.log),
    "ln": (log, np.log),
    "sqrt": (sqrt, np.sqrt),
    "abs": (RealAbs, np.abs),
    "tanh": (tanh, np.tanh),
    "sinh": (sinh, np.sinh),
    "cosh": (cosh, np.cosh),
    "arctan": (atan, np.arctan),
    "atan": (atan, np.arctan),
    "arcsin": (asin, np.arcsin),
    "asin": (asin, np.arcsin),
    "arccos": (acos, np.arccos),
    "acos": (acos, np.arccos),
    "sigmoid": (sigmoid, _sigmoid_numpy),
}

# every function class that may appear in a formula or its derivatives, with its numpy twin
# (sympy's own exp/log appear transiently: e**2 -> exp(2), d(b**u) = b**u log(b) u')
NUMPY_OF = {cls: fn for cls, fn in FUNCTIONS.values() if isinstance(cls, type)}
NUMPY_OF.update({RealSign: np.sign, sp.exp: np.exp, sp.log: np.log})
FUNCTION_CLASSES = tuple(cls for cls in NUMPY_OF if issubclass(cls, _RealFunction))

_SYMPY_TO_OURS = ((sp.exp, exp), (sp.log, log), (sp.Abs, RealAbs), (sp.sign, RealSign))


def canonical(expr: sp.Expr) -> sp.Expr:
    """Swap the sympy functions sympy itself creates (exp, log, Abs, sign) for the opaque ones."""
    for theirs, ours in _SYMPY_TO_OURS:
        if expr.has(theirs):
            expr = expr.replace(theirs, ours)
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    return expr
