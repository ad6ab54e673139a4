"""engine.theory against the exact iteration matrix (issue 18).

For one eigenvalue λ (plus weight decay wd) torch.optim.SGD is a linear map of (x, b):
GD x' = (1 − ηλ)x; heavy ball b' = μb + (1 − τ)λx, x' = x − ηb' (with μ = 0 torch keeps no
buffer: plain GD); Nesterov b' = μb + λx, x' = x − η(λx + μb'). The spectral radius of these
matrices, maximised over the eigenvalues, is the truth the closed forms must reproduce.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.optimizers import make_optimizer
from engine.run import run_many
from engine.surfaces import make_surface
from engine.theory import eta_max_stable, optimum, spectral_radius, theory_block


def iteration_matrix(name, lam, lr, mu=0.0, tau=0.0, wd=0.0):
    lam = lam + wd
    if name == "gd" or (name == "momentum" and mu == 0.0):
        return np.array([[1.0 - lr * lam]])
    if name == "momentum":
        # b' = μb + (1−τ)λx ; x' = x − η b'
        return np.array([[1.0 - lr * (1.0 - tau) * lam, -lr * mu], [(1.0 - tau) * lam, mu]])
    # nesterov: b' = μb + λx ; x' = x − η(λx + μ b')
    return np.array([[1.0 - lr * lam * (1.0 + mu), -lr * mu * mu], [lam, mu]])


def exact_radius(name, lams, lr, mu=0.0, tau=0.0, wd=0.0):
    return max(np.max(np.abs(np.linalg.eigvals(iteration_matrix(name, lam, lr, mu, tau, wd)))) for lam in lams)


def hparams(name, lr, mu, tau, wd):
    hp = {"lr": lr, "weight_decay": wd}
    if name != "gd":
        hp["momentum"] = mu
    if name == "momentum":
        hp["dampening"] = tau
    return hp


CASES = dict(
    name=st.sampled_from(["gd", "momentum", "nesterov"]),
    kappa=st.sampled_from([1.0, 2.0, 10.0, 100.0, 1e4]),
    scaled_lr=st.sampled_from([0.01, 0.3, 0.9, 1.0, 1.5, 1.9, 2.1, 2.9, 3.5, 5.0]),  # η·(λmax + wd)
    mu=st.sampled_from([0.0, 0.3, 0.5, 0.9, 0.99]),
    tau=st.sampled_from([0.0, 0.25, 0.5, 0.9]),
    wd=st.sampled_from([0.0, 0.1, 3.0]),
)


@settings(max_examples=400, deadline=None)
@given(**CASES)
def test_rate_stable_and_band_match_the_iteration_matrix(name, kappa, scaled_lr, mu, tau, wd):
    lams = np.array([1.0, kappa])
    lr = scaled_lr / (kappa + wd)
    hp = hparams(name, lr, mu, tau, wd)
    true = exact_radius(name, lams, lr, mu, tau, wd)
    rho = spectral_radius(name, hp, lams)
    # a double root (defective matrix) costs eigvals ~sqrt(eps) of accuracy
    assert rho == pytest.approx(true, rel=1e-6, abs=1e-7)
    block = theory_block(_quadratic(kappa), [_Opt(name, hp)], "constant")["runs"][0]
    assert block["predicted_rate"] == rho
    if abs(true - 1.0) > 1e-6:
        assert block["stable"] is bool(true < 1.0)
    edge = eta_max_stable(name, hp, lams)
    assert block["eta_max_stable"] == edge
    assert edge is not None  # positive definite, μ < 1, τ < 1: some η is stable
    below = exact_radius(name, lams, edge * (1 - 1e-6), mu, tau, wd)
    above = exact_radius(name, lams, edge * (1 + 1e-6), mu, tau, wd)
    assert below < 1.0 < above
    assert (lr < edge) == (true < 1.0) or abs(true - 1.0) < 1e-6


@settings(max_examples=150, deadline=None)
@given(**{k: v for k, v in CASES.items() if k not in ("scaled_lr", "mu")})
def test_optimum_rate_is_the_exact_radius_there(name, kappa, tau, wd):
    lams = np.array([1.0, kappa])
    best = optimum(name, {"dampening": tau, "weight_decay": wd}, lams)
    mu = best.get("momentum", 0.0)
    true = exact_radius(name, lams, best["lr"], mu, tau if name == "momentum" else 0.0, wd)
    assert best["rate"] == pytest.approx(true, rel=1e-6, abs=1e-7)
    # and no neighbour on a small grid around it does better
    for f_lr in (0.9, 1.1):
        assert exact_radius(name, lams, best["lr"] * f_lr, mu, tau if name == "momentum" else 0.0, wd) >= true - 1e-9


class _Opt:
    def __init__(self, name, hp):
        self.name, self.hparams = name, hp


def _quadratic(kappa):
    return make_surface("quadratic", {"kappa": kappa, "theta": 0.0, "lam_min": 1.0})


def test_dampening_without_momentum_is_plain_gd_and_the_run_agrees():
    """The issue's repro: κ = 1, lr 1.9 / 2.1, momentum 0, dampening 0.5."""
    surf = _quadratic(1.0)
    for lr, stable in ((1.9, True), (2.1, False)):
        opt = make_optimizer("momentum", {"lr": lr, "momentum": 0.0, "dampening": 0.5})
        (res,) = run_many(surf, [opt], [1.0, 1.0], 200)
        run = theory_block(surf, [opt], "constant")["runs"][0]
        assert run["predicted_rate"] == pytest.approx(abs(1 - lr))
        assert run["stable"] is stable
        assert (res.status == "diverged") is (not stable)
        assert run["eta_max_stable"] == pytest.approx(2.0)


def test_eta_max_stable_includes_dampening():
    """κ = 10, lr 0.45, μ = 0.5, τ = 0.5: the band is 2(1 + μ)/((1 − τ)λmax) = 0.6."""
    run = theory_block(_quadratic(10.0), [make_optimizer("momentum", {"lr": 0.45, "momentum": 0.5, "dampening": 0.5})],
                       "constant")["runs"][0]
    assert run["eta_max_stable"] == pytest.approx(0.6)
    assert run["stable"] is True
    assert run["predicted_rate"] == pytest.approx(np.sqrt(0.5), rel=1e-9)


def test_saddle_has_a_theory_block_with_no_stable_eta():
    surf = make_surface("saddle", {"a": 1.0, "b": 2.0})
    block = theory_block(surf, [make_optimizer("gd", {"lr": 0.1})], "constant")
    assert block["curvature"] == "indefinite"
    assert block["eta_max_stable_gd"] is None and "indefinite" in block["stability_note"]
    run = block["runs"][0]
    assert run["predicted_rate"] == pytest.approx(1.2)  # escape at 1 + η b
    assert run["stable"] is False and run["eta_max_stable"] is None
    assert "no η is stable" in run["stability_note"]
    # weight decay larger than b makes H + wd positive definite: then a band exists again
    wd = theory_block(surf, [make_optimizer("gd", {"lr": 0.1, "weight_decay": 3.0})], "constant")["runs"][0]
    assert wd["eta_max_stable"] == pytest.approx(2 / 4) and wd["stable"] is True


def test_tiny_positive_eigenvalue_is_not_singular():
    from engine.surfaces.base import curvature_class
    for scale in (1e-6, 1.0, 1e6):
        assert curvature_class(np.array([2e-10, 2.0]) * scale) == "positive_definite"
        assert curvature_class(np.array([0.0, 2.0]) * scale) == "singular"
        assert curvature_class(np.array([1e-17, 2.0]) * scale) == "singular"  # round-off
