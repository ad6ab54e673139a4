"""The safe formula parser: hostile input is refused with a column, valid input gets exact derivatives."""

from __future__ import annotations

import builtins
import inspect
import io
import os
import subprocess
import tokenize

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.surfaces.formula import parse_formula
from engine.surfaces.formula_compile import compile_formula
from engine.surfaces.formula_functions import FUNCTIONS
from engine.surfaces.formula_limits import MAX_CHARS, MAX_NODES, FormulaError, X, Y

H_FD = 1e-5
FAST = settings(max_examples=25, deadline=None)

# (text, column of the culprit, a fragment of the message)
HOSTILE = [
    ("__import__('os').system('id')", 1, "function '__import__' is not allowed"),
    ("__import__", 1, "name '__import__' is not allowed"),
    ("x.real", 2, "attribute access"),
    ("().__class__", 1, "tuples"),
    ("(x).__class__.__bases__", 4, "attribute access"),
    ("1 .real", 3, "attribute access"),
    ("x[0]", 1, "subscripts"),
    ("x[1:2]", 1, "subscripts"),
    ("lambda: x", 1, "lambda"),
    ("(lambda q: q)(x)", 2, "lambda"),
    ("[x for x in (1, 2)]", 1, "comprehensions"),
    ("{x for x in y}", 1, "comprehensions"),
    ("{x: 1 for x in y}", 1, "comprehensions"),
    ("sum(x for x in y)", 1, "function 'sum' is not allowed"),
    ("(x for x in y)", 1, "comprehensions"),
    ("f'{x}'", 1, "strings"),
    ("(a:=1)", 2, "assignment (:=)"),
    ("(x:=2)*x", 2, "assignment (:=)"),
    ("9**9**9", 4, "exponent 9**9 is too large"),
    ("(x+1)**100000", 8, "exponent 100000 is too large"),
    ("2**10000", 4, "exponent 10000 is too large"),
    ("x**65", 4, "exponent 65 is too large"),
    ("((x+1)**9)**8", 13, "powers of powers"),
    ("1e400", 1, "out of range"),
    ("x*1000001", 3, "out of range"),
    ("9" * 400, 1, "out of range"),
    ("(" * 40 + "x" + ")" * 40, 31, "nested too deeply"),
    ("-" * 40 + "x", 31, "nested too deeply"),
    ("x+" * 299 + "y", MAX_CHARS + 1, "too long"),
    ("x" * 600, MAX_CHARS + 1, "too long"),
    ("+".join(["x"] * 201), MAX_NODES + 1, "too many parts"),  # where the 201st part starts
    ("\uff58**2", 1, "U+FF58"),  # full-width x: Python itself would read it as x
    ("x**2 + \u0445", 8, "U+0445"),  # Cyrillic small ha
    ("\u0435**x", 1, "U+0435"),  # Cyrillic ie, looks like e
    ("x\u2212y", 2, "U+2212"),  # minus sign
    ("z", 1, "name 'z' is not allowed; use x, y, pi, e or a function: sin, cos"),
    ("X + y", 1, "did you mean 'x'"),
    ("os", 1, "name 'os' is not allowed"),
    ("exec", 1, "name 'exec' is not allowed"),
    ("eval('1')", 1, "function 'eval' is not allowed"),
    ("getattr(x,'a')", 1, "function 'getattr' is not allowed"),
    ("open('/etc/passwd')", 1, "function 'open' is not allowed"),
    ("x if y else 1", 1, "conditional expressions"),
    ("x<y", 1, "comparisons"),
    ("x == y", 1, "comparisons"),
    ("x and y", 1, "'and' / 'or'"),
    ("not x", 1, "'not'"),
    ("~x", 1, "'~'"),
    ("'abc'", 1, "strings"),
    ("b'x'", 1, "strings"),
    ("...", 1, "'...'"),
    ("1j", 1, "complex"),
    ("x + 2j", 5, "complex"),
    ("True", 1, "'True'"),
    ("None", 1, "'None'"),
    ("sin(x, y)", 8, "exactly one argument"),
    ("sin()", 1, "exactly one argument"),
    ("sin(x=1)", 5, "keyword arguments"),
    ("sin(*[x])", 5, "unpacking"),
    ("sin", 1, "'sin' is a function"),
    ("sin(x)(y)", 7, "only the listed functions can be called"),
    ("x;y", 2, "';'"),
    ("import os", 1, "syntax error"),
    ("x = 1", 3, "syntax error"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("x^2", 2, "use ** for powers"),
    ("[x]", 1, "lists"),
    ("{x}", 1, "sets"),
    ("{x: 1}", 1, "dicts"),
    ("x, y", 1, "tuples"),
    ("x @ y", 3, "'@'"),
    ("x // y", 3, "'//'"),
    ("x % y", 3, "'%'"),
    ("x << 2", 3, "'<<'"),
    ("x | y", 3, "'|'"),
    ("x & y", 3, "'&'"),
    ("x\x00", 2, "U+0000"),
    ("x\nimport os", 2, "line breaks"),
    ("x\r\ny", 2, "line breaks"),
    ("x\t+ y", 2, "U+0009"),
    ("x # comment", 3, "comments"),
    ("x\\\n+1", 2, "backslash"),
    ("await x", 1, "'await'"),
    ("yield x", 1, "syntax error"),
    ("x**", 4, "the formula is incomplete"),
    ("(x", 1, "syntax error"),
    ("1/0", 2, "division by zero"),
    ("x/(y-y)", 2, "division by zero"),
    ("log(0)", 1, "not a finite real number"),
    ("sqrt(-1)*x", 1, "not a finite real number"),
    ("(-8)**(1/3)", 5, "not a finite real number"),
    ("exp(1000)*x", 1, "not a finite real number"),
    ("asin(2) + x", 1, "not a finite real number"),
    ("(-2)**x", 2, "must be positive"),
    ("0**y", 1, "must be positive"),
    ("(x-x-8)**(1/3) + y", 8, "not a finite real number"),  # caught after sympy cancels x - x
    ("x**(y-y+100)", 5, "too large"),  # sympy folds y - y + 100 to 100
    ("1" + "".join(f"/(x+{k})" for k in range(1, 40)), 1, "too complex"),
    ("*".join(f"sin(x+{k})" for k in range(1, 20)), 1, "too complex"),
]


@pytest.fixture
def nothing_runs(monkeypatch):
    """Fail the test if a refused formula reaches eval/exec of generated code, os.system, a
    subprocess or an import of os & co. (exec of a module file is sympy importing itself lazily)."""
    calls: list[str] = []

    def forbid(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return refuse

    def watched(name, real):
        def run(source, *args, **kwargs):
            if not (inspect.iscode(source) and os.path.isfile(source.co_filename)):
                calls.append(f"{name}({str(source)[:40]!r})")
                raise AssertionError(f"{name} of generated code was called")
            return real(source, *args, **kwargs)
        return run

    real_import = builtins.__import__

    def watched_import(name, *args, **kwargs):
        if name in ("os", "subprocess", "shutil", "socket", "pty"):
            calls.append(f"import {name}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", watched("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", watched("exec", builtins.exec))
    monkeypatch.setattr(builtins, "__import__", watched_import)
    monkeypatch.setattr(os, "system", forbid("os.system"))
    monkeypatch.setattr(os, "popen", forbid("os.popen"))
    monkeypatch.setattr(subprocess, "Popen", forbid("subprocess.Popen"))
    yield calls
    assert calls == []


def test_the_hostile_corpus_is_large():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(("text", "column", "says"), HOSTILE, ids=[repr(h[0])[:40] for h in HOSTILE])
def test_hostile_formula_is_refused_with_its_column(nothing_runs, text, column, says):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert says in err.message
    assert err.column == column
    assert str(err) == f"column {column}: {err.message}"
    with pytest.raises(FormulaError) as again:  # the compiling entry point refuses it the same way
        compile_formula(text)
    assert (again.value.column, again.value.message) == (column, err.message)


def test_leading_spaces_count_in_the_column():
    with pytest.raises(FormulaError) as info:
        parse_formula("   x + z")
    assert info.value.column == 8
    assert parse_formula("   x**2  ") == X**2


@pytest.mark.parametrize("value", [None, 3, b"x", ["x"]])
def test_non_text_is_refused(value):
    with pytest.raises(FormulaError, match="must be text"):
        parse_formula(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_either_a_formula_or_a_formula_error(text):
    try:
        expr = parse_formula(text)
    except FormulaError as err:
        assert 1 <= err.column <= max(len(text), MAX_CHARS) + 1
    else:
        assert expr.free_symbols <= {X, Y}


ALPHABET = st.sampled_from(list("xy+-*/()0123456789. e") + ["**", "pi", "sin(", "log(", "sqrt(", "abs("])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_formula_like_text_never_raises_anything_but_formula_error(text):
    try:
        compile_formula(text)
    except FormulaError:
        pass


# ---- valid formulas: exact derivatives -------------------------------------------------------

VALID = [  # formula, box [lo, hi]^2 where it is smooth and moderate
    ("x**2 + 10*y**2 - 0.5*sin(3*x*y)", 2.0),
    ("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", 2.0),
    ("exp(-(x**2 + y**2)/2) * cos(2*x) + tanh(x - y)", 2.0),
    ("log(1 + exp(-(2*x + 3*y - 1))) + 0.01*(x**2 + y**2)", 2.0),
    ("sqrt(1 + x**2 + y**2) + atan(x*y)", 2.0),
    ("x**y + y**x", 1.0),  # symbolic exponents; box shifted to x, y > 0 below
    ("2**x * e**(y/2) - pi*x*y", 2.0),
    ("sigmoid(2*x - y) * sigmoid(x + y) + x/3", 2.0),
    ("sinh(x/2) * cosh(y/3) + tan(0.3*x*y)", 1.5),
    ("asin(x/3) + acos(y/3) + arctan(x + y)", 2.0),
    ("abs(x - 0.5)**3 + abs(y)**2.5 + x**4", 2.0),
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", 4.0),
    ("-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20", 2.0),
    ("1/(1 + x**2) + 1/(2 + sin(y)) - x**-2 * 0.001", 2.0),
    ("ln(2 + x) * (y + 3)**0.5 + x**(1/3)", 1.0),  # box shifted to x, y > 0 below
    ("(x*y - 1)**4 / (1 + x**2) + sin(x)**2 * cos(y)**3", 2.0),
    ("exp(x) * sin(y) - x**3 * y + 2.5*x**2*y**2", 2.0),
]
POSITIVE_BOX = {"x**y + y**x", "ln(2 + x) * (y + 3)**0.5 + x**(1/3)", "1/(1 + x**2) + 1/(2 + sin(y)) - x**-2 * 0.001"}


def _point(text: str, half: float, u: float, v: float) -> np.ndarray:
    if text in POSITIVE_BOX:
        return np.array([0.2 + 2 * half * u, 0.2 + 2 * half * v])
    return np.array([-half + 2 * half * u, -half + 2 * half * v])


def _near_kink(text: str, p: np.ndarray) -> bool:
    """Points where the formula has no derivative: abs's corners, Ackley's cone tip at the origin."""
    if "abs" in text:
        return abs(p[0] - 0.5) < 1e-3 or abs(p[1]) < 1e-3
    return "sqrt(0.5*(x**2 + y**2))" in text and float(np.hypot(p[0], p[1])) < 1e-3


@pytest.mark.parametrize(("text", "half"), VALID, ids=[v[0][:30] for v in VALID])
@FAST
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_valid_formula_derivatives_match_central_differences(text, half, u, v):
    compiled = compile_formula(text)
    p = _point(text, half, u, v)
    if _near_kink(text, p):
        return
    value = lambda q: float(compiled.value_fn(q[0], q[1]))  # noqa: E731
    grad = lambda q: np.array(compiled.grad_fn(q[0], q[1]), dtype=float)  # noqa: E731
    hess = np.array(compiled.hessian_fn(p[0], p[1]), dtype=float)
    e = np.eye(2) * H_FD
    g_fd = np.array([(value(p + e[i]) - value(p - e[i])) / (2 * H_FD) for i in range(2)])
    h_fd = np.array([(grad(p + e[i]) - grad(p - e[i])) / (2 * H_FD) for i in range(2)])  # rows: d/dx, d/dy
    g = grad(p)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-6 * (1 + abs(value(p))))
    np.testing.assert_allclose(hess, [h_fd[0, 0], h_fd[0, 1], h_fd[1, 1]],
                               rtol=1e-5, atol=1e-5 * (1 + np.abs(g).max()))
    np.testing.assert_allclose(h_fd[0, 1], h_fd[1, 0], rtol=1e-5, atol=1e-5 * (1 + np.abs(g).max()))


def test_the_valid_corpus_is_large():
    assert len(VALID) >= 15


def test_parse_builds_the_expected_tree():
    assert parse_formula("x**2 + 10*y**2") == X**2 + 10 * Y**2
    assert parse_formula("x**2.0") == X**2  # integer-valued float exponents become exact
    assert parse_formula("1/3*y") == Y / 3  # small rationals stay exact
    assert parse_formula("2*pi*x") == 2 * sp.pi * X
    assert parse_formula("e**x").func is FUNCTIONS["exp"][0]  # e**u is exp(u), not sympy's own exp
    assert str(parse_formula("sqrt(2)*x")) == "1.4142135623731*x"  # other constants: float64
    assert str(parse_formula("abs(x)")) == "abs(x)"


def test_every_function_in_the_table_parses_and_compiles():
    for name in FUNCTIONS:
        compiled = compile_formula(f"{name}(0.3*x + 0.2*y + 0.1)")
        assert np.isfinite(compiled.value_fn(np.float64(0.5), np.float64(0.5)))


def test_generated_code_uses_only_numpy_names_and_the_variables():
    allowed = {"def", "return", "_lambdifygenerated", "x", "y", "sin", "cos", "tan", "exp", "log", "sqrt",
               "absolute", "sign", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos", "pi", "e"}
    text = ("sin(x)*cos(y) + tan(x*y) + exp(-x) + log(2 + y) + sqrt(3 + x) + abs(x - y) + tanh(x)"
            " + sinh(y) + cosh(x) + atan(y) + asin(x/9) + acos(y/9) + sigmoid(x) + pi*e*x + 2**y + x**y")
    compiled = compile_formula(text)
    for fn in (compiled.value_fn, compiled.grad_fn, compiled.hessian_fn):
        source = inspect.getsource(fn)
        names = {tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                 if tok.type == tokenize.NAME}
        names = {n for n in names if not (n.startswith("x") and n[1:].isdigit())}  # cse temporaries x0, x1...
        assert names <= allowed, names - allowed


# ---- limits: the worst accepted formulas still compile --------------------------------------

WORST_ACCEPTED = [
    "*".join(f"sin(x+{k})" for k in range(1, 13)),  # 12 factors: the product rule's k**3 growth
    "sigmoid(" * 10 + "x*y" + ")" * 10,
    "tan(" * 15 + "x*y" + ")" * 15,
    "*".join(f"(x+{k})**y" for k in range(1, 9)),
    "+".join(f"{k}*x**{k % 7}*y**{k % 5}" for k in range(1, 21)),  # long but simple: 199 nodes
]


@pytest.mark.parametrize("text", WORST_ACCEPTED, ids=lambda t: t[:25])
def test_worst_case_accepted_formulas_compile(text):
    """The bound (see formula_compile's docstring): these take ~0.2-0.5 s each; no timing asserted."""
    compiled = compile_formula(text)
    with np.errstate(all="ignore"):
        out = compiled.hessian_fn(np.array([0.1, 0.2]), np.array([0.3, -0.1]))
    assert np.shape(np.broadcast_arrays(*out)) == (3, 2)


def test_a_formula_refused_for_size_is_refused_again_from_the_cache():
    text = "*".join(f"sin(x+{k})" for k in range(1, 14))
    for _ in range(2):
        with pytest.raises(FormulaError, match="too complex") as info:
            compile_formula(text)
    assert info.value.column == 1
