"""The one divergence rule (engine.divergence) in every runner: surface runs (run_many, run_batch)
and network trainings, with the regressions of issue 20 and the honest overshoots it must spare."""

import numpy as np
import pytest

from engine.divergence import LOSS_GROWTH, ceiling, first_invalid, keepable, surface_ceiling, view_range
from engine.nn.datasets import make_dataset
from engine.nn.mlp import MLP
from engine.nn.train import train
from engine.optimizers import make_optimizer
from engine.run import run_batch, run_many
from engine.surfaces import make_surface

START = [-4.0, 2.0]


def scene():
    return make_surface("quadratic", {"kappa": 50.0, "theta": 30.0})


def test_keepable_is_the_contract_rule_plus_a_loss_ceiling():
    points = np.array([[0.0, 0.0], [1e6, 0.0], [1e6, 1.0], [np.nan, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    loss = np.array([1.0, 1.0, 1.0, 1.0, np.inf, 100.0, 101.0])
    assert keepable(points, loss).tolist() == [True, True, False, False, False, True, True]
    assert keepable(points, loss, 100.0).tolist() == [True, True, False, False, False, True, False]
    assert first_invalid(points, loss) == 2
    assert ceiling(1.0, 3.0) == 1.0 + LOSS_GROWTH * 2.0
    assert ceiling(np.nan, 3.0) == np.inf and ceiling(0.0, np.inf) == np.inf


def test_view_range_of_the_default_scene():
    f_low, f_high = view_range(scene())
    assert f_low == 0.0  # the listed minimum
    assert f_high == pytest.approx(1167.94055981797, rel=1e-12)  # the 17 × 17 grid's corner value
    assert surface_ceiling(scene(), 1e5) == 1e9  # a start above the view raises the ceiling


def test_gd_past_the_stability_cliff_is_diverged_early():
    """η = 0.041 on κ = 50 (ρ = 1.05) used to end max_steps at f = 1.04e11 (issue 20)."""
    (res,) = run_many(scene(), [make_optimizer("gd", {"lr": 0.041})], START, 200)
    assert res.status == "diverged" and res.steps_taken == 106
    assert res.loss[-1] == pytest.approx(1.0813505527666e7, rel=1e-9)
    assert res.loss[-1] <= surface_ceiling(scene(), res.loss[0]) < res.loss[-1] * 1.1025  # ρ² per update


def test_barely_unstable_gd_is_a_judgment_call_decided_by_length():
    """η = 0.0401 (ρ = 1.005): f grows 351 → 5.1e4 in 500 updates, not flagged; the ceiling
    catches it at update 1045 of a long run, before |x| reaches 1e6."""
    opt = make_optimizer("gd", {"lr": 0.0401})
    (short,) = run_many(scene(), [opt], START, 500)
    assert short.status == "max_steps" and short.loss[-1] == pytest.approx(51038.3775529, rel=1e-9)
    (long,) = run_many(scene(), [opt], START, 3000)
    assert long.status == "diverged" and long.steps_taken == 1044


@pytest.mark.parametrize("name, hparams", [
    ("momentum", {"lr": 0.01, "momentum": 0.9}), ("momentum", {"lr": 0.039, "momentum": 0.999}),
    ("nesterov", {"lr": 0.01, "momentum": 0.99}), ("adam", {"lr": 0.3})])
def test_momentum_swings_are_not_divergence(name, hparams):
    (res,) = run_many(scene(), [make_optimizer(name, hparams)], START, 2000)
    assert res.status != "diverged" and res.steps_taken == 2000


@pytest.mark.parametrize("start", [[-1.5, 2.0], [1.0001, 1.0]])
@pytest.mark.parametrize("lr", [0.1, 1.0, 3.0])
def test_adam_overshooting_on_rosenbrock_is_not_divergence(lr, start):
    """Even from next to the minimum (f₀ ≈ 0), where Adam's ≈ η·sign(g) steps multiply f by 10⁶."""
    (res,) = run_many(make_surface("rosenbrock"), [make_optimizer("adam", {"lr": lr})], start, 2000)
    assert res.status != "diverged" and res.steps_taken == 2000


def test_run_batch_applies_the_same_ceiling_per_start():
    surf = scene()
    opt = make_optimizer("gd", {"lr": 0.041})
    starts = np.array([START, [0.5, -0.2], [300.0, -200.0]])  # the last starts far above the view
    batch = run_batch(surf.grad, surf.value, opt, starts, 200, 0.041, record_path=True)
    for i, start in enumerate(starts):
        (single,) = run_many(surf, [opt], start, 200)
        assert batch.diverged_at[i] == (single.steps_taken if single.status == "diverged" else -1)
        np.testing.assert_array_equal(batch.path[: single.steps_taken + 1, i], single.path)
    assert batch.diverged_at[0] == 106
    # plain functions (not a surface's methods) get the contract's rule only
    plain = run_batch(lambda p: surf.grad(p), lambda p: surf.value(p), opt, starts[:1], 200, 0.041)
    assert plain.diverged_at[0] == -1 and plain.final_loss[0] > 1e10


def test_a_network_past_two_over_eta_is_diverged():
    """A linear regression net with λmax = 105.9 > 2/η = 100 climbed to 4e28 with status "ok"."""
    data = make_dataset("regression", n=200, seed=0, scale_ratio=10.0)
    model = MLP((), "tanh", "mse")
    unstable, stable = train(model, data, [{"name": "gd", "lr": 0.02}, {"name": "gd", "lr": 0.018}], 300,
                             init_seed=0).runs
    assert unstable.status == "diverged" and unstable.diverged_at == 45
    assert unstable.loss.max() < LOSS_GROWTH * unstable.loss[0]
    assert stable.status == "ok" and stable.loss[-1] < 0.01
