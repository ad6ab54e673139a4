"""The `custom` surface: built-ins re-typed as text agree with them, theory for quadratics, nan not errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from engine.lru import LRU
from engine.surfaces import REGISTRY, make_surface
from engine.surfaces.base import Surface
from engine.surfaces.custom import DEFAULT_DOMAIN, CustomSurface, make_custom
from engine.surfaces.formula_compile import compile_formula
from engine.surfaces.formula_limits import FormulaError


def quadratic_text(surface) -> str:
    hxx, hxy, hyy = map(float, surface._matrix())  # the built-in's own numbers, written out
    return f"0.5*({hxx!r}*x**2 + 2*{hxy!r}*x*y + {hyy!r}*y**2)"


BUILTINS = [  # (name, params, the same function typed as a formula)
    ("quadratic", {}, quadratic_text),
    ("quadratic", {"kappa": 25.0, "theta": 30.0, "lam_min": 0.5}, quadratic_text),
    ("saddle", {}, "0.5*(x**2 - y**2)"),
    ("saddle", {"a": 2.0, "b": 0.25}, "0.5*(2*x**2 - 0.25*y**2)"),
    ("monkey_saddle", {}, "x**3 - 3*x*y**2"),
    ("rosenbrock", {"a": 1.0, "b": 100.0}, "(1 - x)**2 + 100*(y - x**2)**2"),
    ("himmelblau", {}, "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"),
    ("rastrigin", {}, "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)"),
    ("beale", {}, "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2"),
    ("six_hump_camel", {}, "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2"),
    ("styblinski_tang", {}, "0.5*(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)"),
]


def builtin(name: str, params: dict) -> Surface:
    if name not in REGISTRY:
        pytest.skip(f"built-in surface '{name}' is not registered yet")
    return make_surface(name, params)


def close(actual, expected) -> None:
    """1e-9 relative, with the scale of the whole array for entries that are near zero."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize(("name", "params", "text"), BUILTINS,
                         ids=[f"{n}{'-' + str(p) if p else ''}" for n, p, _ in BUILTINS])
def test_a_builtin_typed_as_a_formula_has_the_same_value_gradient_and_hessian(name, params, text):
    reference = builtin(name, params)
    custom = make_custom(text(reference) if callable(text) else text, domain=reference.domain)
    (xlo, xhi), (ylo, yhi) = reference.domain
    u = np.random.default_rng(8).uniform(size=(200, 2))
    points = np.stack([xlo + u[:, 0] * (xhi - xlo), ylo + u[:, 1] * (yhi - ylo)], axis=-1)
    close(custom.value(points), reference.value(points))
    close(custom.grad(points), reference.grad(points))
    close(custom.hessian(points), reference.hessian(points))
    assert custom.constant_hessian is (name in ("quadratic", "saddle"))  # no x or y in the Hessian
    if custom.constant_hessian:  # the stationary point solved from grad = 0 is the built-in's
        ours, theirs = custom.stationary_points(), reference.stationary_points()
        assert [(s.kind, s.x, s.y, s.f) for s in ours] == [(s.kind, s.x, s.y, s.f) for s in theirs]


# ---- constant Hessian: theory and the stationary point ---------------------------------------

def test_quadratic_formula_has_a_constant_hessian_and_its_exact_minimum():
    surface = make_custom("x**2 + 10*y**2 + x*y - 3*x")
    assert surface.constant_hessian is True
    np.testing.assert_array_equal(surface.hessian(np.zeros((4, 3, 2))),
                                  np.broadcast_to([[2, 1], [1, 20]], (4, 3, 2, 2)))
    # grad = (2x + y - 3, x + 20y) = 0  ->  x = 20/13, y = -1/13, f = -30/13
    (point,) = surface.stationary_points()
    assert point.kind == "minimum"
    assert (point.x, point.y, point.f) == pytest.approx((20 / 13, -1 / 13, -30 / 13), rel=1e-15)
    assert surface.minima == [point] and surface.saddles == []
    np.testing.assert_allclose(surface.grad(np.array([point.x, point.y])), [0.0, 0.0], atol=1e-15)
    geometry = surface.geometry(np.array([3.0, -2.0]))
    assert geometry["curvature"] == "positive_definite"
    np.testing.assert_allclose(geometry["eigenvalues"], [11 - np.sqrt(82), 11 + np.sqrt(82)], rtol=1e-14)


@pytest.mark.parametrize(("text", "expected"), [
    ("x**2 - y**2 + 2*x", [("saddle", -1.0, 0.0, -1.0)]),
    ("-(x**2) - y**2 + 4*y", [("maximum", 0.0, 2.0, 4.0)]),
    ("0.5*(3*x**2 + 2*x*y + y**2) - x", [("minimum", 0.5, -0.5, -0.25)]),
    ("x**2", []),  # singular Hessian: a valley of minima, none listed
    ("x*y*0 + 5", []),  # flat
    ("x**4 + y**2", [("minimum", 0.0, 0.0, 0.0)]),  # not a quadratic: found numerically (x converges linearly)
])
def test_stationary_points_of_constant_hessian_formulas(text, expected):
    surface = make_custom(text)
    found = [(s.kind, s.x, s.y, s.f) for s in surface.stationary_points()]
    assert [f[0] for f in found] == [e[0] for e in expected]
    np.testing.assert_allclose(np.array([f[1:] for f in found]).reshape(-1, 3),
                               np.array([e[1:] for e in expected]).reshape(-1, 3),
                               rtol=0, atol=1e-14 if surface.constant_hessian else 1e-9)
    assert surface.constant_hessian is ("**4" not in text)


def test_abs_is_not_a_quadratic_even_where_its_hessian_is_constant():
    surface = make_custom("abs(x) + x**2 + y**2")
    assert surface.constant_hessian is False
    assert [(s.kind, s.x, s.y) for s in surface.stationary_points()] == [("minimum", 0.0, 0.0)]  # found numerically
    np.testing.assert_allclose(surface.hessian(np.array([0.5, 1.0])), [[2, 0], [0, 2]])  # |x|'' = 0 off the kink
    np.testing.assert_allclose(surface.grad(np.array([[-0.5, 1.0], [0.5, 1.0]])), [[-2, 2], [2, 2]])


# ---- non-finite values are nan/inf, silently and never complex --------------------------------

@pytest.mark.parametrize(("text", "point"), [
    ("log(x) + y", [-1.0, 0.5]),
    ("sqrt(y) + x", [1.0, -4.0]),
    ("asin(x) + y", [2.0, 0.0]),
    ("x**0.5 * y", [-2.0, 1.0]),
    ("x**y", [-2.0, 0.5]),
    ("acos(x*y) + log(1 - x)", [3.0, 1.0]),
])
def test_undefined_points_give_nan_without_warnings_or_complex_numbers(text, point):
    surface = make_custom(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = surface.value(np.array(point))
        g = surface.grad(np.array(point))
        h = surface.hessian(np.array(point))
        z = surface.value(np.array([point, [0.5, 0.5]]))
    assert np.isnan(f) and np.isnan(z[0]) and np.isfinite(z[1])
    assert np.isnan(g).any() or "log" in text  # d log(x) = 1/x is defined for x < 0
    for array in (f, g, h, z):
        assert np.asarray(array).dtype == np.float64


def test_log_on_a_grid_is_finite_exactly_where_x_is_positive():
    surface = make_custom("log(x) + y**2")
    xs = np.linspace(-2, 2, 41)
    grid = np.stack(np.meshgrid(xs, xs), axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = surface.value(grid)
        g = surface.grad(grid)
    np.testing.assert_array_equal(np.isfinite(z), grid[..., 0] > 0)
    assert np.all(np.isneginf(z[grid[..., 0] == 0]))
    np.testing.assert_array_equal(np.isfinite(g[..., 0]), grid[..., 0] != 0)  # 1/x is finite for x < 0


# ---- shapes, text, description, domain -----------------------------------------------------

def test_constant_and_linear_formulas_broadcast_to_the_points_shape():
    points = np.random.default_rng(1).normal(size=(4, 5, 2))
    constant = make_custom("3")
    np.testing.assert_array_equal(constant.value(points), np.full((4, 5), 3.0))
    np.testing.assert_array_equal(constant.grad(points), np.zeros((4, 5, 2)))
    np.testing.assert_array_equal(constant.hessian(points), np.zeros((4, 5, 2, 2)))
    linear = make_custom("2*x - y")
    np.testing.assert_array_equal(linear.grad(points), np.broadcast_to([2.0, -1.0], (4, 5, 2)))
    assert linear.value(np.array([1.0, 1.0])).shape == ()


def test_derivatives_are_given_as_text_and_latex():
    surface = make_custom("x**2*y + sin(y)")
    assert surface.derivatives() == {"f": "x**2*y + sin(y)", "fx": "2*x*y", "fy": "x**2 + cos(y)",
                                     "fxx": "2*y", "fxy": "2*x", "fyy": "-sin(y)"}
    latex = surface.derivatives(latex=True)
    assert latex["f"] == r"x^{2} y + \sin{\left(y \right)}"
    assert latex["fyy"] == r"- \sin{\left(y \right)}"
    assert make_custom("abs(x) + sigmoid(y)").derivatives() == {
        "f": "abs(x) + sigmoid(y)", "fx": "sign(x)", "fy": "(1 - sigmoid(y))*sigmoid(y)", "fxx": "0",
        "fxy": "0", "fyy": "(1 - sigmoid(y))**2*sigmoid(y) - (1 - sigmoid(y))*sigmoid(y)**2"}


def test_describe_carries_the_formula_and_serializes():
    surface = make_custom("  x**2 + 10*y**2 ", domain={"x": [-3, 3], "y": [-2, 2]})
    info = surface.describe()
    assert isinstance(surface, CustomSurface) and isinstance(surface, Surface)
    assert info["name"] == "custom" and info["expr"] == "x**2 + 10*y**2"
    assert info["title"] == "Custom: x**2 + 10*y**2"
    assert info["formula"] == "x^{2} + 10 y^{2}"
    assert info["params"] == [] and info["constant_hessian"] is True
    assert info["domain"] == {"x": [-3.0, 3.0], "y": [-2.0, 2.0]}
    assert info["minima"] == [{"x": 0.0, "y": 0.0, "f": 0.0}]
    assert info["derivatives"]["fyy"] == "20"
    assert info["default_start"] == pytest.approx([-1.8, 1.2])  # 20 % in from the left, 20 % down from the top
    json.dumps(info)


def test_domain_defaults_and_validation():
    assert make_custom("x").domain == DEFAULT_DOMAIN == ((-5.0, 5.0), (-5.0, 5.0))
    assert make_custom("x", ((0, 1), (-1, 2))).domain == ((0.0, 1.0), (-1.0, 2.0))
    for bad in [((1, 0), (0, 1)), ((0, 1),), ((0, float("nan")), (0, 1)), ((0, 2e6), (0, 1)),
                {"x": (0, 1)}, ((0, "1"), (0, 1)), ((True, 2), (0, 1)), "x"]:
        with pytest.raises(ValueError, match="domain"):
            make_custom("x", bad)


def test_a_bad_formula_raises_formula_error_from_make_custom():
    with pytest.raises(FormulaError) as info:
        make_custom("x + z")
    assert info.value.column == 5 and isinstance(info.value, ValueError)


# ---- cache -------------------------------------------------------------------------------

def test_same_text_reuses_the_compiled_formula():
    first, second = make_custom("x**3 - 2*x*y"), make_custom("x**3 - 2*x*y", domain=((0, 1), (0, 1)))
    assert first is not second and first._compiled is second._compiled
    assert make_custom("  x**3 - 2*x*y")._compiled is first._compiled  # same expression, other spacing
    assert make_custom("x**3 - 3*x*y")._compiled is not first._compiled
    assert compile_formula("x**3 - 2*x*y") is first._compiled


def test_refusals_are_cached_but_raised_fresh():
    errors = []
    for _ in range(2):
        with pytest.raises(FormulaError) as info:
            compile_formula("9**9**9")
        errors.append(info.value)
    assert errors[0] is not errors[1] and str(errors[0]) == str(errors[1])


def test_the_lru_is_bounded_and_keeps_recent_entries():
    lru = LRU(2)
    made = []
    make = lambda key: (lambda: made.append(key) or key.upper())  # noqa: E731
    assert [lru.get(k, make(k)) for k in ["a", "b", "a", "c", "a", "b"]] == ["A", "B", "A", "C", "A", "B"]
    assert made == ["a", "b", "c", "b"]  # "b" was evicted by "c" (least recently used), "a" was kept
    assert list(lru.data) == ["a", "b"]
