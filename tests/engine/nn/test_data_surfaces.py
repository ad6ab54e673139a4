"""Exact 2-weight data surfaces: derivatives, listed stationary points, the data behind them."""

import numpy as np
import pytest

from engine.nn.datasets import make_dataset
from engine.surfaces.least_squares import DATA_N, DATA_SEED, LeastSquares
from engine.surfaces.logistic import DATA_T as LOGISTIC_T
from engine.surfaces.logistic import DATA_X as LOGISTIC_X
from engine.surfaces.logistic import Logistic
from engine.surfaces.tiny_net import DATA_T as TINY_T
from engine.surfaces.tiny_net import DATA_X as TINY_X
from engine.surfaces.tiny_net import TinyNet

SURFACES = [TinyNet(), LeastSquares(), LeastSquares(rho=-0.5, scale_ratio=0.3, normalize=True), Logistic(),
            Logistic(l2=0.1)]
IDS = ["tiny_net", "lsq_raw", "lsq_norm", "logistic", "logistic_l2"]


def random_points(surface, k=12, seed=0):
    (xlo, xhi), (ylo, yhi) = surface.domain
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(xlo, xhi, k), rng.uniform(ylo, yhi, k)])


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_gradient_and_hessian_match_central_differences(surface):
    h = 1e-5
    E = np.eye(2) * h
    for p in random_points(surface):
        fd_grad = np.array([(surface.value(p + e) - surface.value(p - e)) / (2 * h) for e in E])
        fd_hess = np.array([(surface.grad(p + e) - surface.grad(p - e)) / (2 * h) for e in E])
        np.testing.assert_allclose(surface.grad(p), fd_grad, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(surface.hessian(p), fd_hess, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_vectorized_over_grids_of_points(surface):
    points = random_points(surface, 12).reshape(3, 4, 2)
    values, grads, hessians = surface.value(points), surface.grad(points), surface.hessian(points)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2) and hessians.shape == (3, 4, 2, 2)
    for i, j in [(0, 0), (2, 3), (1, 2)]:
        assert values[i, j] == surface.value(points[i, j])
        np.testing.assert_array_equal(hessians[i, j], surface.hessian(points[i, j]))


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_listed_minima_are_stationary_with_positive_definite_hessian(surface):
    assert surface.minima
    for m in surface.minima:
        g = surface.geometry([m.x, m.y])
        assert np.linalg.norm(g["grad"]) < 1e-10
        assert g["curvature"] == "positive_definite"
        assert m.f == pytest.approx(g["f"], rel=1e-12)
        (xlo, xhi), (ylo, yhi) = surface.domain
        assert xlo < m.x < xhi and ylo < m.y < yhi


def test_tiny_net_has_two_mirror_minima_and_a_saddle_at_the_origin():
    surface = TinyNet()
    (a, b), (saddle,) = surface.minima, surface.saddles
    assert (a.x, a.y) == (-b.x, -b.y) and a.f == b.f
    assert (b.x, b.y) == pytest.approx((1.6412378254815, 0.9844519109010), abs=1e-8)  # listed by (f, x, y)
    assert (saddle.x, saddle.y) == (0.0, 0.0)
    g = surface.geometry([0.0, 0.0])
    c = np.mean(TINY_T * TINY_X)
    np.testing.assert_allclose(g["hessian"], [[0.0, -c], [-c, 0.0]], atol=1e-15)
    assert g["curvature"] == "indefinite" and np.linalg.norm(g["grad"]) == 0.0
    assert saddle.f == pytest.approx(0.5 * np.mean(TINY_T**2))
    w = np.array([0.7, -1.3])
    assert surface.value(w) == pytest.approx(0.5 * np.mean((w[1] * np.tanh(w[0] * TINY_X) - TINY_T) ** 2))


def raw_least_squares_data(rho, scale_ratio, normalize):
    data = make_dataset("regression", n=DATA_N, seed=DATA_SEED, rho=rho, scale_ratio=scale_ratio, noise=0.1)
    X = (data.X - data.X.mean(0)) / data.X.std(0) if normalize else data.X
    return X, data.y


@pytest.mark.parametrize("normalize", [False, True])
def test_least_squares_is_the_data_loss_with_constant_hessian(normalize):
    surface = LeastSquares(rho=0.6, scale_ratio=3.0, normalize=normalize)
    X, t = raw_least_squares_data(0.6, 3.0, normalize)
    for p in random_points(surface, 5):
        assert surface.value(p) == pytest.approx(0.5 * np.mean((X @ p - t) ** 2), rel=1e-12)
        np.testing.assert_allclose(surface.hessian(p), X.T @ X / DATA_N, rtol=1e-13)
    (minimum,) = surface.minima
    np.testing.assert_allclose([minimum.x, minimum.y], np.linalg.lstsq(X, t, rcond=None)[0], atol=1e-12)
    assert surface.constant_hessian and not surface.saddles


def test_normalizing_correlated_scaled_features_lowers_the_condition_number():
    raw = LeastSquares(rho=0.9, scale_ratio=10.0, normalize=False)
    normalized = LeastSquares(rho=0.9, scale_ratio=10.0, normalize=True)
    assert normalized.kappa < raw.kappa / 10
    # normalized: H is the correlation matrix, κ = (1 + |r|)/(1 − |r|) with the sample correlation r
    X, _ = raw_least_squares_data(0.9, 10.0, False)
    r = abs(np.corrcoef(X.T)[0, 1])
    assert normalized.kappa == pytest.approx((1 + r) / (1 - r), rel=1e-10)


def test_logistic_hessian_is_x_transpose_r_x():
    surface = Logistic(l2=0.05)
    for p in random_points(surface, 4):
        s = 1 / (1 + np.exp(-(LOGISTIC_X @ p)))
        H = (LOGISTIC_X.T * (s * (1 - s))) @ LOGISTIC_X / len(LOGISTIC_T) + 0.05 * np.eye(2)
        np.testing.assert_allclose(surface.hessian(p), H, rtol=1e-12)
        z = LOGISTIC_X @ p
        E = np.mean(np.log1p(np.exp(z)) - LOGISTIC_T * z) + 0.025 * p @ p
        assert surface.value(p) == pytest.approx(E, rel=1e-12)


def test_logistic_data_is_not_separable_so_the_unregularized_minimum_is_finite():
    angles = np.linspace(0, 2 * np.pi, 7200, endpoint=False)
    W = np.column_stack([np.cos(angles), np.sin(angles)])
    correct = ((LOGISTIC_X @ W.T > 0) == (LOGISTIC_T[:, None] > 0.5)).sum(0)
    assert correct.max() < len(LOGISTIC_T)
    (m,) = Logistic().minima
    assert (m.x, m.y) == pytest.approx((2.4612940474077, 1.6220467896233), abs=1e-8)
    shrunk = Logistic(l2=1.0).minima[0]
    assert np.hypot(shrunk.x, shrunk.y) < np.hypot(m.x, m.y)


def test_bad_surface_params_raise():
    with pytest.raises(ValueError, match="'normalize'"):
        LeastSquares(normalize=1)
    with pytest.raises(ValueError, match="'rho'"):
        LeastSquares(rho=0.995)
    with pytest.raises(ValueError, match="'l2'"):
        Logistic(l2=-0.1)
    with pytest.raises(ValueError, match="unknown parameter"):
        TinyNet(width=2)
