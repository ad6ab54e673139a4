"""Closed-form quadratic theory (docs/theory.md) and its agreement with measured runs."""

import numpy as np
import pytest

from engine.optimizers import make_optimizer
from engine.run import run_many
from engine.surfaces import make_surface
from engine.theory import eta_max_stable, measured_rate, quadratic_summary, spectral_radius, theory_block


def test_summary_for_kappa_50():
    s = quadratic_summary(np.array([2.0, 100.0]))
    assert s["kappa"] == 50.0
    assert s["eta_max_stable_gd"] == pytest.approx(0.02)
    assert s["eta_opt_gd"] == pytest.approx(2 / 102)
    assert s["rate_opt_gd"] == pytest.approx(49 / 51)
    root = (np.sqrt(50) - 1) / (np.sqrt(50) + 1)
    assert s["momentum_opt"] == pytest.approx(root**2)
    assert s["eta_opt_momentum"] == pytest.approx(4 / (10 + np.sqrt(2)) ** 2)
    assert s["rate_opt_momentum"] == pytest.approx(root)


def test_spectral_radius_closed_forms():
    lam = np.array([1.0, 10.0])
    assert spectral_radius("gd", {"lr": 0.15}, lam) == pytest.approx(0.85)  # max(|1-.15|, |1-1.5|)
    # heavy ball at the Polyak optimum: rate sqrt(mu*)
    root = (np.sqrt(10) - 1) / (np.sqrt(10) + 1)
    eta = 4 / (np.sqrt(10) + 1) ** 2
    assert spectral_radius("momentum", {"lr": eta, "momentum": root**2}, lam) == pytest.approx(root, rel=1e-6)
    assert spectral_radius("adam", {"lr": 0.1}, lam) is None
    grid = spectral_radius("gd", {"lr": np.array([0.1, 0.3])}, lam)
    np.testing.assert_allclose(grid, [0.9, 2.0])


@pytest.mark.parametrize("name,mu", [("gd", 0.0), ("momentum", 0.5), ("nesterov", 0.5)])
def test_stability_limits_are_sharp(name, mu):
    lam = np.array([1.0, 20.0])
    limit = eta_max_stable(name, {"momentum": mu}, lam)
    hp = {"lr": limit * 0.99, "momentum": mu}
    assert spectral_radius(name, hp, lam) < 1
    hp["lr"] = limit * 1.01
    assert spectral_radius(name, hp, lam) > 1


@pytest.mark.parametrize("spec", [
    ("gd", {"lr": 0.03}), ("gd", {"lr": 0.039}), ("momentum", {"lr": 0.01, "momentum": 0.5}),
    ("momentum", {"lr": 0.03, "momentum": 0.8}), ("nesterov", {"lr": 0.02, "momentum": 0.9}),
    ("nesterov", {"lr": 0.01, "momentum": 0.3}),
])
def test_measured_rate_matches_prediction_to_one_percent(spec):
    surf = make_surface("quadratic", {"kappa": 50, "theta": 30})
    opt = make_optimizer(*spec)
    (res,) = run_many(surf, [opt], [-4.0, 2.0], 3000)
    block = theory_block(surf, [opt], "constant", [res.path])
    run = block["runs"][0]
    assert run["stable"] is True
    assert run["measured_rate"] == pytest.approx(run["predicted_rate"], rel=0.01)


def test_theory_block_is_empty_off_quadratics_and_null_for_adaptive():
    assert theory_block(make_surface("himmelblau"), [make_optimizer("gd")], "constant") == {}
    block = theory_block(make_surface("quadratic"), [make_optimizer("gd")], "step")
    assert block["runs"][0]["predicted_rate"] is None  # no linear iteration with a varying lr


def test_measured_rate_of_a_geometric_sequence():
    path = np.array([[0.8**t, 0.0] for t in range(200)])
    assert measured_rate(path, np.zeros(2)) == pytest.approx(0.8, rel=1e-9)
