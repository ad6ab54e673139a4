"""Stationary points of custom formulas, found by multi-start Newton (engine/surfaces/custom_stationary.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.surfaces import make_surface
from engine.surfaces.custom import make_custom
from engine.surfaces.custom_stationary import GRID, ITERATIONS, MAX_POINTS, find_stationary

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


def listed(surface) -> list[tuple[str, float, float]]:
    return sorted((s.kind, round(s.x, 9), round(s.y, 9)) for s in surface.stationary_points())


def test_the_issues_formula_has_its_minimum_at_the_origin():
    surface = make_custom("x**2 + 10*y**2 - 0.5*sin(3*x*y)")
    assert [(s.kind, s.x, s.y, s.f) for s in surface.stationary_points()] == pytest.approx(
        [("minimum", 0.0, 0.0, 0.0)], abs=1e-12)
    assert surface.minima_array().shape == (1, 2)


def test_himmelblau_typed_as_a_formula_finds_the_built_ins_nine_points():
    ours = make_custom(HIMMELBLAU, ((-5, 5), (-5, 5)))
    theirs = make_surface("himmelblau")
    assert listed(ours) == listed(theirs)
    assert [s.kind for s in ours.stationary_points()][:4] == ["minimum"] * 4  # minima first


@pytest.mark.parametrize("text", ["(1 - x)**2 + 100*(y - x**2)**2", "x**3 - 3*x + y**2", "sin(x)*cos(y) + 0.1*x**2",
                                  "x**4 - 2*x**2 + y**2 + 0.3*x", "exp(-(x**2 + y**2)) * -1 + 0.01*x**2"])
def test_every_point_is_stationary_in_the_domain_and_classified_by_its_hessian(text):
    surface = make_custom(text, ((-3, 3), (-2, 3)))
    points = surface.stationary_points()
    assert 1 <= len(points) <= MAX_POINTS
    xy = np.array([[p.x, p.y] for p in points])
    assert np.all((xy[:, 0] >= -3) & (xy[:, 0] <= 3) & (xy[:, 1] >= -2) & (xy[:, 1] <= 3))
    assert np.all(np.linalg.norm(surface.grad(xy), axis=1) < 1e-7)
    kinds = {"minimum": lambda lam: lam.min() > 0, "maximum": lambda lam: lam.max() < 0,
             "saddle": lambda lam: lam.min() < 0 < lam.max()}
    for p, h in zip(points, surface.hessian(xy), strict=True):
        assert kinds[p.kind](np.linalg.eigvalsh(h)), (text, p)
        # check the derivative the search used against central differences (tests only)
        e = 1e-5
        fd = [(surface.value(np.array([p.x + e, p.y])) - surface.value(np.array([p.x - e, p.y]))) / (2 * e),
              (surface.value(np.array([p.x, p.y + e])) - surface.value(np.array([p.x, p.y - e]))) / (2 * e)]
        np.testing.assert_allclose(fd, 0, atol=1e-6)
    assert len({(round(p.x, 6), round(p.y, 6)) for p in points}) == len(points)  # deduplicated


def test_rosenbrock_and_a_cubic():
    assert listed(make_custom("(1 - x)**2 + 100*(y - x**2)**2", ((-2, 2), (-1, 3)))) == [("minimum", 1.0, 1.0)]
    assert listed(make_custom("x**3 - 3*x + y**2")) == [("minimum", 1.0, 0.0), ("saddle", -1.0, 0.0)]


def test_nothing_is_invented():
    assert make_custom("log(x) + y**2").stationary_points() == []  # ∇f = (1/x, 2y) never vanishes
    assert make_custom("exp(x) + y").stationary_points() == []
    # a kink: sympy's sign(0) = 0 makes ∇f vanish exactly at the minimum, found from the centre start
    assert listed(make_custom("abs(x) + x**2 + y**2")) == [("minimum", 0.0, 0.0)]
    far = make_custom("(x - 40)**2 + sin(y)**2 + x*sin(y)*0.001")
    assert far.stationary_points() == []  # the minimum near x = 40 lies outside [-5, 5]²


def test_the_search_cost_is_bounded_whatever_the_formula():
    calls = {"grad": 0, "hessian": 0, "points": 0}
    surface = make_custom("sin(5*x)*cos(5*y)")
    c = surface._compiled

    def grad(x, y):
        calls["grad"] += 1
        calls["points"] += np.size(x)
        return c.grad_fn(x, y)

    def hessian(x, y):
        calls["hessian"] += 1
        return c.hessian_fn(x, y)

    found = find_stationary(c.value_fn, grad, hessian, surface.default_domain)
    assert len(found) == MAX_POINTS  # hundreds exist: the list is capped, minima first
    assert [k for _, _, k in found][:5] == ["minimum"] * 5
    assert calls["grad"] == ITERATIONS + 2 and calls["hessian"] == ITERATIONS + 1
    assert calls["points"] <= (ITERATIONS + 2) * (GRID**2 + 1)


def test_results_are_cached_per_formula_and_domain():
    a = make_custom("x**2 + 3*y**2 + 0.1*x**4").stationary_points()
    b = make_custom("x**2 + 3*y**2 + 0.1*x**4").stationary_points()
    c = make_custom("x**2 + 3*y**2 + 0.1*x**4", ((1, 2), (1, 2))).stationary_points()
    assert a == b and len(a) == 1 and c == []
