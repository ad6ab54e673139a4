"""Basins of attraction, phase diagrams and fair tuning (engine.analysis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis import (
    DIVERGED,
    NOT_CONVERGED,
    Axis,
    axis_params,
    basins,
    batched_optimizer,
    check_axes,
    halving_plan,
    label_points,
    phase_diagram,
    pick_best,
    tune,
)
from engine.optimizers import make_optimizer
from engine.run import run_many
from engine.surfaces import make_surface
from engine.theory import quadratic_summary, spectral_radius

START = [-4.0, 2.0]


def quad(kappa=10.0, theta=30.0):
    return make_surface("quadratic", {"kappa": kappa, "theta": theta})


# ---- basins ------------------------------------------------------------------------------------

def test_basins_on_quadratic_stable_lr_labels_every_start_with_the_minimum():
    surf = quad()  # λmax = 10: 2/λmax = 0.2
    res = basins(surf, make_optimizer("gd", {"lr": 0.15}), steps=200, n=10)
    assert res.label.shape == (10, 10) and np.all(res.label == 0)
    assert res.counts == {NOT_CONVERGED: 0, DIVERGED: 0, 0: 100}
    np.testing.assert_array_equal(res.x, np.linspace(-5, 5, 10))
    # steps to converge = first t with |H (I − ηH)^t x0| < 1e-6, checked for a few starts
    H = surf.hessian(np.zeros(2))
    M = np.eye(2) - 0.15 * H
    for i, j in [(0, 0), (3, 7), (9, 2)]:
        x, t = np.array([res.x[j], res.y[i]]), 0
        while np.linalg.norm(H @ x) >= 1e-6:
            x, t = M @ x, t + 1
        assert res.steps_to_converge[i, j] == t


def test_basins_on_quadratic_unstable_lr_diverges_everywhere():
    res = basins(quad(), make_optimizer("gd", {"lr": 0.25}), steps=200, n=10)  # η > 2/λmax = 0.2
    assert np.all(res.label == DIVERGED)
    assert np.all(res.steps_to_converge == -1)
    assert res.counts[DIVERGED] == 100


def test_basins_start_on_the_stable_manifold_converges_even_when_unstable():
    # θ = 0: the unstable direction (λmax) is y, so starts with y = 0 exactly never leave the x axis
    res = basins(quad(theta=0.0), make_optimizer("gd", {"lr": 0.25}), steps=300, n=11)
    assert np.all(res.label[5] == 0) and res.y[5] == 0.0
    assert np.all(np.delete(res.label, 5, axis=0) == DIVERGED)


def test_basins_on_himmelblau_give_four_regions_matching_direct_runs():
    surf = make_surface("himmelblau")
    opt = make_optimizer("gd", {"lr": 0.005})
    res = basins(surf, opt, steps=400, n=16)
    minima = surf.minima_array()
    assert [res.counts[k] for k in range(4)] == [int(np.sum(res.label == k)) for k in range(4)]
    assert all(res.counts[k] > 20 for k in range(4)) and res.counts[DIVERGED] == 0
    # the start nearest to each minimum lies in that minimum's basin
    for k, (mx, my) in enumerate(minima):
        assert res.label[np.argmin(np.abs(res.y - my)), np.argmin(np.abs(res.x - mx))] == k
    for i, j in [(0, 0), (2, 13), (7, 8), (8, 7), (12, 3), (15, 15), (5, 10)]:
        (single,) = run_many(surf, [opt], [res.x[j], res.y[i]], 400)
        nearest = int(np.argmin(np.linalg.norm(minima - single.path[-1], axis=-1)))
        assert single.status == "converged"
        assert res.label[i, j] == nearest
        assert res.steps_to_converge[i, j] == int(np.argmax(single.grad_norm < 1e-6))


def test_label_points_rules():
    minima = np.array([[0.0, 0.0], [3.0, 0.0]])
    final = np.array([[0.01, 0.0], [2.95, 0.0], [1.5, 0.0], [0.0, 0.0], [3.0, 0.0]])
    grad_norm = np.array([1e-8, 1e-8, 1e-8, 1e-3, 1e-8])
    diverged = np.array([False, False, False, False, True])
    labels = label_points(final, grad_norm, diverged, minima, tol=1e-6, radius=0.1)
    # near 0; near 1; far from both; at 0 but gradient too big; diverged
    assert labels.tolist() == [0, 1, NOT_CONVERGED, NOT_CONVERGED, DIVERGED]
    assert label_points(final, grad_norm, diverged, np.empty((0, 2)), 1e-6, 0.1).tolist() == [-2, -2, -2, -2, -1]


def test_basins_reject_bad_sizes():
    with pytest.raises(ValueError, match="n must be"):
        basins(quad(), make_optimizer("gd"), 10, 1)
    with pytest.raises(ValueError, match="radius"):
        basins(quad(), make_optimizer("gd"), 10, 4, radius=0.0)


# ---- phase ---------------------------------------------------------------------------------------

def test_phase_cells_agree_with_single_runs():
    surf = quad()
    axes = [Axis("lr", 1e-2, 1.0, 9, log=True), Axis("momentum", 0.0, 0.95, 7)]
    res = phase_diagram(surf, START, "momentum", {"weight_decay": 0.01}, axes, steps=150)
    assert res.final_loss.shape == res.diverged.shape == (7, 9)
    assert res.diverged.any() and (~res.diverged).any()
    assert np.all(np.isnan(res.final_loss[res.diverged]))
    for i, j in [(0, 0), (3, 4), (6, 8), (2, 7), (5, 1)]:
        opt = make_optimizer("momentum", {"lr": res.x[j], "momentum": res.y[i], "weight_decay": 0.01})
        (single,) = run_many(surf, [opt], START, 150)
        assert res.diverged[i, j] == (single.status == "diverged")
        if not res.diverged[i, j]:
            np.testing.assert_allclose(res.final_loss[i, j], single.loss[-1], rtol=1e-9, atol=0)


def test_phase_sweeps_adam_beta1_with_beta2_fixed():
    surf = make_surface("rosenbrock")
    axes = [Axis("lr", 1e-3, 0.3, 5, log=True), Axis("beta1", 0.0, 0.95, 4)]
    res = phase_diagram(surf, [-1.5, 2.0], "adam", {"betas": (0.8, 0.99)}, axes, steps=100)
    assert res.hparams["beta2"] == 0.99 and "betas" not in res.hparams and "lr" not in res.hparams
    assert res.theory is None  # no linear iteration, no constant Hessian
    for i, j in [(0, 0), (3, 4), (1, 2)]:
        opt = make_optimizer("adam", {"lr": res.x[j], "betas": (res.y[i], 0.99)})
        (single,) = run_many(surf, [opt], [-1.5, 2.0], 100)
        np.testing.assert_allclose(res.final_loss[i, j], single.loss[-1], rtol=1e-9)


def _boundary_lr(name, lam_max, other):
    if name == "gd":  # other = weight decay
        return 2.0 / (lam_max + other)
    if name == "momentum":
        return 2.0 * (1.0 + other) / lam_max
    return 2.0 * (1.0 + other) / ((1.0 + 2.0 * other) * lam_max)


@pytest.mark.parametrize("name,other", [("gd", "weight_decay"), ("momentum", "momentum"), ("nesterov", "momentum")])
def test_measured_and_predicted_stability_agree_away_from_the_boundary(name, other):
    surf = quad(kappa=10.0, theta=30.0)
    axes = [Axis("lr", 1e-2, 2.0, 41, log=True), Axis(other, 0.0, 0.9, 19)]
    res = phase_diagram(surf, START, name, {}, axes, steps=400)
    predicted = res.theory["predicted_stable"]
    measured = ~res.diverged & (res.measured_rate < 1.0)
    lr, second = np.meshgrid(res.x, res.y)
    far = np.abs(lr / _boundary_lr(name, 10.0, second) - 1.0) > 0.01
    assert far.sum() > 0.9 * far.size and predicted[far].any() and (~predicted[far]).any()
    np.testing.assert_array_equal(measured[far], predicted[far])
    # the boundary curve is drawn over the other axis (y) at x = η_max
    curve = res.theory["boundary"][0]
    assert curve["kind"] == "stability"
    np.testing.assert_allclose(curve["x"], _boundary_lr(name, 10.0, curve["y"]), rtol=1e-12)
    np.testing.assert_allclose(curve["y"], np.linspace(0.0, 0.9, 201))


def test_measured_rate_tracks_the_spectral_radius():
    surf = quad(kappa=10.0, theta=30.0)
    axes = [Axis("lr", 1e-2, 0.5, 13, log=True), Axis("momentum", 0.0, 0.8, 5)]
    res = phase_diagram(surf, START, "momentum", {}, axes, steps=1000)
    rho = res.theory["predicted_rate"]
    np.testing.assert_allclose(rho[2, 3], spectral_radius("momentum", {"lr": res.x[3], "momentum": res.y[2]},
                                                          np.array([1.0, 10.0])), rtol=1e-12)
    sel = (rho > 0.3) & (rho < 0.97) & (res.steps_to_converge > 0)
    assert sel.sum() > 20
    assert np.max(np.abs(res.measured_rate - rho)[sel]) < 0.06  # the start's transient, averaged in
    assert np.all(res.measured_rate[res.diverged] > 1.0)


def test_phase_optimum_is_polyak_for_heavy_ball_and_the_brute_force_minimum_for_nesterov():
    surf = quad(kappa=25.0)
    summary = quadratic_summary(np.array([1.0, 25.0]))
    axes = [Axis("momentum", 0.0, 0.95, 3), Axis("lr", 1e-3, 1.0, 3, log=True)]  # lr on the y axis
    heavy = phase_diagram(surf, START, "momentum", {}, axes, steps=5).theory["optimum"]
    assert heavy["lr"] == pytest.approx(summary["eta_opt_momentum"], rel=1e-12)
    assert heavy["momentum"] == pytest.approx(summary["momentum_opt"], rel=1e-12)
    assert heavy["rate"] == pytest.approx(summary["rate_opt_momentum"], rel=1e-12)
    assert (heavy["x"], heavy["y"]) == (heavy["momentum"], heavy["lr"]) and heavy["inside"]
    nest = phase_diagram(surf, START, "nesterov", {}, axes, steps=5).theory["optimum"]
    eig = np.array([1.0, 25.0])
    assert spectral_radius("nesterov", nest, eig) == pytest.approx(nest["rate"], rel=1e-9)
    eta = np.geomspace(0.5, 2.0, 801) * nest["lr"]
    mu = np.linspace(0.0, 0.99, 801)[:, None]
    assert np.min(spectral_radius("nesterov", {"lr": eta, "momentum": mu}, eig)) >= nest["rate"] - 1e-4
    assert nest["rate"] == pytest.approx(1 - 2 / np.sqrt(76.0), rel=1e-12)


def test_gd_phase_has_the_optimal_lr_curve_and_no_optimum_point():
    res = phase_diagram(quad(), START, "gd", {}, [Axis("lr", 0.01, 1, 3, True), Axis("weight_decay", 0, 1, 3)], 5)
    kinds = [c["kind"] for c in res.theory["boundary"]]
    assert kinds == ["stability", "optimal_lr"] and res.theory["optimum"] is None
    opt = res.theory["boundary"][1]
    np.testing.assert_allclose(opt["x"], 2.0 / (11.0 + 2.0 * opt["y"]), rtol=1e-12)


def test_axes_are_checked():
    assert list(axis_params("adam")) == ["lr", "beta1", "beta2", "eps", "weight_decay"]
    assert list(axis_params("gd")) == ["lr", "weight_decay"]
    ok = Axis("lr", 0.01, 1.0, 5, True)
    with pytest.raises(ValueError, match="allowed: lr, momentum, dampening, weight_decay"):
        check_axes("momentum", [ok, Axis("beta1", 0, 0.9, 5)])
    with pytest.raises(ValueError, match="exactly two"):
        check_axes("momentum", [ok, ok])
    with pytest.raises(ValueError, match="exactly two"):
        check_axes("momentum", [ok])
    with pytest.raises(ValueError, match="min < max"):
        check_axes("momentum", [ok, Axis("momentum", 0.5, 0.5, 5)])
    with pytest.raises(ValueError, match=r"out of range \[0, 0.999\]"):
        check_axes("momentum", [ok, Axis("momentum", 0.0, 1.0, 5)])
    with pytest.raises(ValueError, match="log axis needs min > 0"):
        check_axes("momentum", [ok, Axis("momentum", 0.0, 0.9, 5, log=True)])


def test_batched_optimizer_replaces_one_element_of_a_pair():
    beta1 = np.array([[0.1], [0.5]])
    opt, values = batched_optimizer("adam", {"betas": (0.8, 0.99), "eps": 1e-6}, {"beta1": beta1})
    assert values["betas"][0] is beta1 and values["betas"][1] == 0.99 and values["eps"] == 1e-6
    assert values["lr"] == 0.001 and opt.name == "adam"


# ---- tune ----------------------------------------------------------------------------------------

def test_pick_best_ties_go_to_the_smaller_lr_and_diverged_never_win():
    lrs = np.array([0.1, 0.2, 0.3, 0.4])
    assert pick_best(lrs, np.array([1.0, 0.5, 0.5 * (1 + 1e-13), np.nan]), np.array([0, 0, 0, 1], bool)) == 1
    assert pick_best(lrs[::-1], np.array([1.0, 0.5 * (1 + 1e-13), 0.5, 2.0]), np.zeros(4, bool)) == 2
    assert pick_best(lrs, np.array([1.0, 0.5 * (1 + 1e-11), 0.5, 2.0]), np.zeros(4, bool)) == 2  # not a tie
    assert pick_best(lrs, np.array([np.nan] * 4), np.ones(4, bool)) is None


def test_grid_tuning_uses_exactly_the_budget_and_returns_the_best_run():
    surf = quad(kappa=20.0)
    res = tune(surf, START, "momentum", {"momentum": 0.5}, steps=80, budget=7, lr_min=1e-3, lr_max=1.0)
    np.testing.assert_array_equal(res.lr, np.geomspace(1e-3, 1.0, 7))
    assert res.lr.size == 7 and res.trial_steps == 7 * 80 and res.candidates == 7
    assert np.all(res.steps == 80) and np.all(res.rung == 0)
    assert res.diverged[-1] and np.isnan(res.final_loss[-1])  # lr = 1 > 2(1+μ)/λmax = 0.15
    best = int(np.nanargmin(res.final_loss))
    assert res.best_lr == res.lr[best] and res.best_loss == res.final_loss[best]
    assert res.run.path.shape == (81, 2) and res.run.lr[0] == res.best_lr
    np.testing.assert_allclose(res.run.loss[-1], res.best_loss, rtol=1e-12)
    again = tune(surf, START, "momentum", {"momentum": 0.5}, steps=80, budget=7, lr_min=1e-3, lr_max=1.0)
    np.testing.assert_array_equal(again.final_loss, res.final_loss)
    assert again.best_lr == res.best_lr


def test_tuning_with_every_trial_diverging_has_no_winner():
    res = tune(quad(), START, "gd", {}, steps=60, budget=3, lr_min=0.5, lr_max=2.0)
    assert res.diverged.all() and res.best_lr is None and res.best_loss is None and res.run is None


def test_halving_plan_for_budget_8():
    assert halving_plan(8, 200) == [(16, 25), (8, 50), (4, 100), (2, 200)]  # 8·200 trial-steps exactly
    assert halving_plan(2, 200) == [(2, 200)]  # too small to halve: the grid


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(2, 64), steps=st.integers(1, 20000))
def test_halving_plan_respects_the_budget(budget, steps):
    plan = halving_plan(budget, steps)
    counts = [c for c, _ in plan]
    assert sum(c * s for c, s in plan) <= budget * steps
    assert plan[-1][1] == steps and counts[-1] >= 2 and counts[0] >= budget and len(plan) <= 4
    assert all(b == -(-a // 2) for a, b in zip(counts, counts[1:], strict=False))
    assert all(s1 <= s2 for (_, s1), (_, s2) in zip(plan, plan[1:], strict=False))


def test_halving_tuning_keeps_the_best_half_each_rung():
    surf = quad(kappa=20.0)
    res = tune(surf, START, "gd", {}, steps=64, budget=4, lr_min=1e-3, lr_max=0.5, method="halving")
    plan = halving_plan(4, 64)
    assert res.trial_steps == sum(c * s for c, s in plan) <= 4 * 64
    assert res.candidates == plan[0][0] and res.lr.size == sum(c for c, _ in plan)
    for rung in range(1, len(plan)):
        prev, cur = res.rung == rung - 1, res.rung == rung
        key = np.where(res.diverged[prev], np.inf, res.final_loss[prev])
        kept = np.sort(res.lr[prev][np.lexsort((res.lr[prev], key))][: cur.sum()])
        np.testing.assert_array_equal(res.lr[cur], kept)
    last = res.rung == len(plan) - 1
    assert np.all(res.steps[last] == 64)
    assert res.best_lr == res.lr[last][np.nanargmin(res.final_loss[last])]


def test_tune_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        tune(quad(), START, "gd", {}, 10, 4, 0.01, 0.1, method="random")
    with pytest.raises(ValueError, match="lr_range"):
        tune(quad(), START, "gd", {}, 10, 4, 0.1, 0.01)
