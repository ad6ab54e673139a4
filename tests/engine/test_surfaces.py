"""Surfaces: exact derivatives vs central differences, shapes, stationary points, geometry, registry."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.surfaces import REGISTRY, make_surface
from engine.surfaces.base import curvature_class

NAMES = list(REGISTRY)
CONTRACT_ORDER = ["quadratic", "saddle", "monkey_saddle", "rosenbrock", "himmelblau", "rastrigin",
                  "beale", "six_hump_camel", "styblinski_tang"]
H_FD = 1e-5
RTOL_FD = 1e-6
FAST = settings(max_examples=25, deadline=None)


def params_strategy(cls, positive_floor: float = 0.0):
    """Random params inside each Param's range; params whose min is >= 0 start at positive_floor."""
    fields = {}
    for p in cls.PARAMS:
        if p.kind == "bool":
            fields[p.name] = st.booleans()
            continue
        lo = p.min
        if lo is not None and lo >= 0.0 and positive_floor > 0.0:
            lo = max(lo, positive_floor)
        fields[p.name] = st.floats(lo, p.max, exclude_min=p.exclusive_min and lo == p.min,
                                   allow_nan=False, allow_infinity=False)
    return st.fixed_dictionaries(fields)


def point_in(surface, u: float, v: float) -> np.ndarray:
    (xlo, xhi), (ylo, yhi) = surface.domain
    return np.array([xlo + u * (xhi - xlo), ylo + v * (yhi - ylo)])


def fd_grad(surface, p: np.ndarray) -> np.ndarray:
    e = np.eye(2) * H_FD
    return (surface.value(p + e) - surface.value(p - e)) / (2 * H_FD)  # rows: p ± h e_i


def fd_hessian(surface, p: np.ndarray) -> np.ndarray:
    e = np.eye(2) * H_FD
    cols = (surface.grad(p + e) - surface.grad(p - e)) / (2 * H_FD)  # row j = ∂g/∂x_j
    return cols.T


def check_derivatives(surface, p: np.ndarray) -> None:
    f, g, hess = float(surface.value(p)), surface.grad(p), surface.hessian(p)
    # relative to the local scale of the surface: rounding in f(p ± h) is ~ eps |f| / h
    g_scale = 1.0 + abs(f) + np.linalg.norm(g)
    assert np.linalg.norm(g - fd_grad(surface, p)) <= RTOL_FD * g_scale
    h_scale = 1.0 + np.linalg.norm(g) + np.linalg.norm(hess)
    assert np.linalg.norm(hess - fd_hessian(surface, p)) <= RTOL_FD * h_scale
    assert hess[0, 1] == hess[1, 0]


# ---- derivatives ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_derivatives_match_central_differences_at_defaults(name, u, v):
    surface = make_surface(name)
    check_derivatives(surface, point_in(surface, u, v))


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].PARAMS])
@FAST
@given(data=st.data(), u=st.floats(0, 1), v=st.floats(0, 1))
def test_derivatives_match_central_differences_for_random_params(name, data, u, v):
    surface = make_surface(name, data.draw(params_strategy(REGISTRY[name])))
    check_derivatives(surface, point_in(surface, u, v))


# ---- shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lead", [(), (5,), (3, 4)])
def test_shapes_broadcast_and_match_pointwise(name, lead):
    surface = make_surface(name)
    rng = np.random.default_rng(0)
    (xlo, xhi), (ylo, yhi) = surface.domain
    pts = np.stack([rng.uniform(xlo, xhi, lead), rng.uniform(ylo, yhi, lead)], axis=-1)
    f, g, hess = surface.value(pts), surface.grad(pts), surface.hessian(pts)
    assert f.shape == lead and g.shape == lead + (2,) and hess.shape == lead + (2, 2)
    flat = pts.reshape(-1, 2)
    for k, p in enumerate(flat):  # each row equals the single-point call
        assert f.reshape(-1)[k] == pytest.approx(float(surface.value(p)), rel=1e-14, abs=1e-14)
        np.testing.assert_allclose(g.reshape(-1, 2)[k], surface.grad(p), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(hess.reshape(-1, 2, 2)[k], surface.hessian(p), rtol=1e-14, atol=1e-14)


def test_points_without_a_last_axis_of_two_are_rejected():
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        make_surface("himmelblau").value(np.zeros((4, 3)))


# ---- stationary points ---------------------------------------------------------------------

EXPECTED_CURVATURE = {"minimum": {"positive_definite"}, "saddle": {"indefinite", "singular"},
                      "maximum": {"negative_definite"}}


def check_stationary(surface) -> None:
    points = surface.stationary_points()
    assert points, f"{surface.name} lists no stationary point"
    xy = np.array([[s.x, s.y] for s in points])
    g, hess = surface.grad(xy), surface.hessian(xy)
    for s, gk, hk in zip(points, g, hess, strict=True):
        # float coordinates are exact to ~eps, so |grad| ~ eps·|H|·|p|; 1e-8 scaled by |H|
        assert np.linalg.norm(gk) < 1e-8 * max(1.0, np.abs(hk).max()), (surface.name, s)
        assert curvature_class(np.linalg.eigvalsh(hk)) in EXPECTED_CURVATURE[s.kind], (surface.name, s)
        assert s.f == float(surface.value(np.array([s.x, s.y])))


@pytest.mark.parametrize("name", NAMES)
def test_listed_stationary_points_are_stationary_with_the_right_curvature(name):
    check_stationary(make_surface(name))


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].PARAMS])
@FAST
@given(data=st.data())
def test_stationary_points_follow_the_params(name, data):
    check_stationary(make_surface(name, data.draw(params_strategy(REGISTRY[name], positive_floor=1e-2))))


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_ordered_global_first_and_inside_the_domain(name):
    surface = make_surface(name)
    minima = surface.minima
    keys = [(round(s.f, 9), s.x, s.y) for s in minima]
    assert keys == sorted(keys)
    if minima:
        assert minima[0].f <= min(s.f for s in minima) + 1e-9  # ties within rounding
    (xlo, xhi), (ylo, yhi) = surface.domain
    for s in surface.stationary_points():
        assert xlo <= s.x <= xhi and ylo <= s.y <= yhi, (name, s)
        assert s.kind in EXPECTED_CURVATURE
    assert surface.minima_array().shape == (len(minima), 2)


@pytest.mark.parametrize("name", NAMES)
def test_default_start_is_inside_the_domain_and_not_stationary(name):
    surface = make_surface(name)
    (xlo, xhi), (ylo, yhi) = surface.domain
    x, y = surface.default_start
    assert xlo < x < xhi and ylo < y < yhi
    assert np.linalg.norm(surface.grad(np.array([x, y]))) > 1.0


def counts(surface) -> tuple[int, int, int]:
    return len(surface.minima), len(surface.saddles), len(surface.maxima)


def test_himmelblau_has_four_zero_minima_four_saddles_one_maximum():
    surface = make_surface("himmelblau")
    assert counts(surface) == (4, 4, 1)
    assert len(surface.stationary_points()) == 9
    for s in surface.minima:
        assert abs(s.f) < 1e-10
    assert (3.0, 2.0) in [(s.x, s.y) for s in surface.minima]
    np.testing.assert_allclose(surface.minima_array(), [[-3.779310, -3.283186], [-2.805118, 3.131312],
                                                        [3.0, 2.0], [3.584428, -1.848127]], atol=1e-6)
    (top,) = surface.maxima
    assert (top.x, top.y, top.f) == pytest.approx((-0.270845, -0.923039, 181.616522), abs=1e-6)


def test_six_hump_camel_six_minima_with_both_global_ones_first():
    surface = make_surface("six_hump_camel")
    assert counts(surface) == (6, 7, 2)
    first, second = surface.minima[:2]
    assert first.f == pytest.approx(-1.0316284535, abs=1e-10)
    assert second.f == pytest.approx(-1.0316284535, abs=1e-10)
    assert (first.x, first.y) == pytest.approx((-0.0898420131, 0.7126564030), abs=1e-10)
    assert (second.x, second.y) == pytest.approx((0.0898420131, -0.7126564030), abs=1e-10)
    assert all(s.f > -1.0316 for s in surface.minima[2:])
    assert [round(s.f, 6) for s in surface.minima[2:]] == [-0.215464, -0.215464, 2.104250, 2.104250]


def test_styblinski_tang_four_minima_four_saddles_one_maximum():
    surface = make_surface("styblinski_tang")
    assert counts(surface) == (4, 4, 1)
    best = surface.minima[0]
    assert (best.x, best.y) == pytest.approx((-2.903534, -2.903534), abs=1e-6)
    assert best.f == pytest.approx(-78.33233140754282, abs=1e-10)  # 2 · (−39.16616570377141)
    coords = {round(c, 6) for s in surface.minima for c in (s.x, s.y)}
    assert coords == {-2.903534, 2.746803}
    (top,) = surface.maxima
    assert (top.x, top.y) == pytest.approx((0.156731, 0.156731), abs=1e-6)


def test_rastrigin_lists_every_stationary_point_of_the_default_domain():
    surface = make_surface("rastrigin")
    assert counts(surface) == (121, 220, 100)
    best = surface.minima[0]
    assert (best.x, best.y, best.f) == (0.0, 0.0, 0.0)
    assert np.copysign(1.0, best.x) == 1.0  # no -0.0 in the JSON
    # local minima sit just inside the integer lattice, one per cell
    xy = surface.minima_array()
    lattice = np.round(xy)
    assert len({tuple(c) for c in lattice}) == 121
    assert np.all(np.abs(xy - lattice) < 0.03) and np.all(np.abs(xy) <= np.abs(lattice))
    t5 = 4.974691390895051  # outermost 1D minimum: the corners are the highest minima
    assert surface.minima[-1].f == pytest.approx(20 + 2 * (t5**2 - 10 * np.cos(2 * np.pi * t5)), rel=1e-14)


def test_beale_minimum_and_saddles():
    surface = make_surface("beale")
    assert counts(surface) == (1, 2, 0)
    (best,) = surface.minima
    assert (best.x, best.y, best.f) == (3.0, 0.5, 0.0)
    geo = surface.geometry([0.0, 1.0])
    assert geo["f"] == 14.203125  # Σ cᵢ², constant along x = 0 and along y = 1
    np.testing.assert_allclose(geo["hessian"], [[0.0, 27.75], [27.75, 0.0]], atol=1e-12)
    np.testing.assert_allclose(geo["eigenvalues"], [-27.75, 27.75], atol=1e-12)


def test_rosenbrock_minimum_moves_with_a_and_the_domain_follows():
    surface = make_surface("rosenbrock", {"a": 2.0, "b": 50.0})
    (best,) = surface.minima
    assert (best.x, best.y, best.f) == (2.0, 4.0, 0.0)
    # H = [[2 + 8b a², −4b a], [−4b a, 2b]], det H = 4b
    np.testing.assert_allclose(surface.hessian(np.array([2.0, 4.0])), [[1602.0, -400.0], [-400.0, 100.0]])
    far = make_surface("rosenbrock", {"a": -10.0})
    (xlo, xhi), (ylo, yhi) = far.domain
    assert xlo <= -10.0 and yhi >= 100.0
    default = make_surface("rosenbrock")
    assert default.domain == ((-2.0, 2.0), (-1.0, 3.0))
    assert default.geometry([1.0, 1.0])["eigenvalues"] == pytest.approx([0.39936, 1001.60064], abs=1e-5)
    # b = 0 leaves (a - x)²: the whole line x = a is minimal, H singular
    flat = make_surface("rosenbrock", {"b": 0.0})
    assert flat.geometry([1.0, 1.0])["curvature"] == "singular"


def test_saddles_have_the_expected_hessians():
    saddle = make_surface("saddle", {"a": 2.0, "b": 3.0})
    assert counts(saddle) == (0, 1, 0)
    geo = saddle.geometry([0.7, -1.2])
    np.testing.assert_allclose(geo["hessian"], np.diag([2.0, -3.0]))
    np.testing.assert_allclose(geo["eigenvalues"], [-3.0, 2.0])
    np.testing.assert_allclose(geo["eigenvectors"], [[0.0, 1.0], [1.0, 0.0]])
    assert geo["curvature"] == "indefinite"
    monkey = make_surface("monkey_saddle")
    geo = monkey.geometry([0.0, 0.0])
    np.testing.assert_array_equal(geo["hessian"], np.zeros((2, 2)))
    assert geo["curvature"] == "singular" and monkey.saddles[0].as_dict() == {"x": 0.0, "y": 0.0, "f": 0.0}


# ---- local geometry ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_geometry_eigenpairs(name, u, v):
    surface = make_surface(name)
    geo = surface.geometry(point_in(surface, u, v))
    lam, vecs, hess = geo["eigenvalues"], geo["eigenvectors"], geo["hessian"]
    assert lam[0] <= lam[1]
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), [1.0, 1.0], rtol=1e-12)
    scale = 1.0 + np.abs(lam).max()
    for i in range(2):
        np.testing.assert_allclose(hess @ vecs[i], lam[i] * vecs[i], atol=1e-12 * scale)
    assert geo["curvature"] == curvature_class(lam)
    assert abs(float(vecs[0] @ vecs[1])) < 1e-12


def test_quadratic_eigenvectors_follow_theta():
    geo = make_surface("quadratic", {"kappa": 10, "theta": 30}).geometry([1.0, -2.0])
    np.testing.assert_allclose(geo["eigenvalues"], [1.0, 10.0], rtol=1e-12)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    np.testing.assert_allclose(geo["eigenvectors"][0], [c, s], atol=1e-12)
    np.testing.assert_allclose(geo["eigenvectors"][1], [s, -c], atol=1e-12)
    assert geo["curvature"] == "positive_definite"


# ---- registry, validation, description -----------------------------------------------------


def test_registry_holds_the_contract_surfaces_in_order():
    assert NAMES[: len(CONTRACT_ORDER)] == CONTRACT_ORDER


def test_unknown_surface_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown surface 'bananas'.*rosenbrock"):
        make_surface("bananas")


@pytest.mark.parametrize(("name", "params", "message"), [
    ("saddle", {"a": 0.0}, r"'a'.*\(0, 100\]"),
    ("saddle", {"b": 101.0}, r"'b'.*\(0, 100\]"),
    ("rosenbrock", {"b": 1001.0}, r"'b'.*\[0, 1000\]"),
    ("rosenbrock", {"a": -11.0}, r"'a'.*\[-10, 10\]"),
    ("rosenbrock", {"a": "one"}, r"'a'.*\[-10, 10\]"),
    ("himmelblau", {"a": 1.0}, r"unknown parameter\(s\) a; allowed: none"),
    ("rosenbrock", {"c": 1.0}, r"unknown parameter\(s\) c; allowed: a, b"),
])
def test_bad_params_raise_a_message_naming_the_param_and_range(name, params, message):
    with pytest.raises(ValueError, match=message):
        make_surface(name, params)


@pytest.mark.parametrize("name", NAMES)
def test_describe_has_the_contract_keys_and_is_json(name):
    desc = make_surface(name).describe()
    assert {"name", "title", "formula", "params", "domain", "minima", "saddles"} <= set(desc)
    assert desc["name"] == name and desc["title"] and desc["formula"]
    for p in desc["params"]:
        assert {"name", "default", "min", "max", "description"} <= set(p) and p["description"]
    assert set(desc["domain"]) == {"x", "y"}
    for lo, hi in desc["domain"].values():
        assert lo < hi
    for entry in desc["minima"] + desc["saddles"]:
        assert set(entry) == {"x", "y", "f"}
    json.dumps(desc, allow_nan=False)
