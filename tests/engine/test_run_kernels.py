"""The compiled fast path (engine.kernels) gives the numpy path's numbers bit for bit, for every
(surface, optimizer) pair it covers, with noise and schedules, alone, beside companions and in
batches (run_batch, per-start hyperparameters); pairs it does not cover fall back to numpy."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import kernels
from engine.optimizers import REGISTRY as OPTIMIZERS
from engine.optimizers import make_optimizer
from engine.run import Noise, run_batch, run_many
from engine.schedules import make_schedule
from engine.surfaces import REGISTRY as SURFACES
from engine.surfaces import make_surface

pytestmark = pytest.mark.skipif(not kernels.enabled(), reason="numba kernels unavailable")

SURFACE_NAMES = sorted(name for name, cls in SURFACES.items() if cls in kernels.SURFACES)
OPTIMIZER_NAMES = sorted(name for name in OPTIMIZERS if name in kernels.OPTIMIZERS)
PARAMS = {"quadratic": {"kappa": 50.0, "theta": 30.0}, "saddle": {"a": 1.0, "b": 2.0},
          "rosenbrock": {"a": 1.0, "b": 100.0}, "least_squares": {"rho": 0.8, "scale_ratio": 4.0}}
HPARAMS = {  # non-default settings exercise every branch of the kernels
    "gd": [{"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.1}],
    "momentum": [{"lr": 0.01}, {"lr": 0.01, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.05},
                 {"lr": 0.01, "momentum": 0.0, "dampening": 0.5}],
    "nesterov": [{"lr": 0.01}, {"lr": 0.005, "momentum": 0.99, "weight_decay": 0.1}],
    "adam": [{"lr": 0.05}, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.99)}],
    "adamw": [{"lr": 0.05}, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.3}],
    "rmsprop": [{"lr": 0.01}, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}],
    "adagrad": [{"lr": 0.1}, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}],
    "adadelta": [{"lr": 1.0}, {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1}],
}
SCHEDULES = [None, make_schedule("cosine", {"t_max": 40, "eta_min": 1e-4}),
             make_schedule("step", {"step_size": 7, "gamma": 0.7})]


def same(a, b):
    """Bit for bit (NaN and the sign of zero included)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def start_in(surface, u, v):
    (xlo, xhi), (ylo, yhi) = surface.domain
    return [xlo + (xhi - xlo) * (0.1 + 0.8 * u), ylo + (yhi - ylo) * (0.1 + 0.8 * v)]


def test_the_covered_pairs():
    assert SURFACE_NAMES == ["beale", "himmelblau", "least_squares", "monkey_saddle", "quadratic", "rosenbrock",
                             "saddle", "six_hump_camel"]
    assert OPTIMIZER_NAMES == sorted(HPARAMS)


@pytest.mark.parametrize("surface", SURFACE_NAMES)
@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_every_covered_pair_equals_the_numpy_path(surface, name):
    surf = make_surface(surface, PARAMS.get(surface))
    opts = [make_optimizer(name, h) for h in HPARAMS[name]]
    assert all(kernels.fast_runner(surf, o, np.zeros((1, 2)), np.ones(3), None) is not None for o in opts)
    for k, (schedule, noise) in enumerate([(None, None), (SCHEDULES[1], Noise(0.3, 5)), (SCHEDULES[2], None)]):
        start = start_in(surf, 0.2 + 0.3 * k, 0.7 - 0.2 * k)
        fast = run_many(surf, opts, start, 120, schedule, noise)
        slow = run_many(surf, opts, start, 120, schedule, noise, use_kernels=False)
        for a, b in zip(fast, slow, strict=True):
            for key in ("path", "loss", "grad_norm", "lr"):
                same(getattr(a, key), getattr(b, key))
            assert (a.status, a.steps_taken) == (b.status, b.steps_taken)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surface=st.sampled_from(SURFACE_NAMES), name=st.sampled_from(OPTIMIZER_NAMES), u=st.floats(0, 1),
       v=st.floats(0, 1), scale=st.floats(0.1, 30.0), noise=st.sampled_from([None, Noise(0.5, 3)]),
       schedule=st.sampled_from(SCHEDULES), n=st.sampled_from([1, 3]))
def test_batches_with_per_start_learning_rates_equal_the_numpy_path(surface, name, u, v, scale, noise, schedule, n):
    """run_batch (basins, phase, tune), divergence included: large learning rates blow up."""
    surf = make_surface(surface, PARAMS.get(surface))
    opt = make_optimizer(name, HPARAMS[name][-1])
    starts = np.array([start_in(surf, (u + 0.37 * i) % 1, (v + 0.61 * i) % 1) for i in range(n)])
    lr = HPARAMS[name][-1]["lr"] * scale * np.linspace(1.0, 2.0, n)[:, None]
    runs = [run_batch(surf.grad, surf.value, opt, starts, 80, lr, schedule=schedule, noise=noise, record_path=True,
                      use_kernels=fast) for fast in (True, False)]
    for key in ("path", "final", "final_loss", "final_grad_norm", "diverged_at", "converged_at"):
        same(getattr(runs[0], key), getattr(runs[1], key))


def test_division_by_zero_is_ieee_as_in_numpy():
    """Adagrad with eps = 0 at a stationary start computes 0/0: NaN, so the run diverges at once
    (numba's default error model would raise ZeroDivisionError inside the kernel instead)."""
    quad = make_surface("quadratic")
    for fast in (True, False):
        (run,) = run_many(quad, [make_optimizer("adagrad", {"eps": 0.0})], [0.0, 0.0], 10, use_kernels=fast)
        assert run.status == "diverged" and run.steps_taken == 0


def test_uncovered_pairs_fall_back_to_numpy():
    quad = make_surface("quadratic")
    assert kernels.fast_runner(make_surface("rastrigin"), make_optimizer("gd"), np.zeros((1, 2)), np.ones(3),
                               None) is None  # cos: not covered
    assert kernels.fast_runner(quad, make_optimizer("newton"), np.zeros((1, 2)), np.ones(3), None) is None
    uncovered = [n for n in OPTIMIZERS if n not in kernels.OPTIMIZERS]
    for name in uncovered:
        assert kernels.fast_runner(quad, make_optimizer(name), np.zeros((1, 2)), np.ones(3), None) is None
    mixed = [make_optimizer("adam", {"lr": 0.1})] + [make_optimizer(n) for n in uncovered[:3]]
    fast, slow = (run_many(quad, mixed, [-4.0, 2.0], 50, use_kernels=k) for k in (True, False))
    for a, b in zip(fast, slow, strict=True):
        same(a.path, b.path)


def test_a_kernel_that_disagrees_with_its_surface_is_not_used(monkeypatch):
    surf = make_surface("himmelblau")
    monkeypatch.setitem(kernels.SURFACES, type(surf), kernels.SurfaceKernel("grad_beale", lambda s: ()))
    assert kernels.fast_runner(surf, make_optimizer("gd"), np.zeros((1, 2)), np.ones(3), None) is None
