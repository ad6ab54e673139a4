"""Schedules: factors against closed forms, and against torch.optim.lr_scheduler stepped per update."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.schedules import REGISTRY, make_schedule


def test_registry_names():
    assert list(REGISTRY) == ["constant", "step", "exponential", "power", "cosine", "linear"]


def test_constant():
    np.testing.assert_array_equal(make_schedule().lrs(0.3, 5), [0.3] * 5)
    assert make_schedule("constant").params == {}


def test_step_closed_form():
    s = make_schedule("step", {"step_size": 3, "gamma": 0.5})
    np.testing.assert_allclose(s.lrs(1.0, 9), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25], rtol=0, atol=0)
    # defaults: step_size 100, gamma 0.5
    assert make_schedule("step").params == {"step_size": 100, "gamma": 0.5}
    np.testing.assert_allclose(make_schedule("step").lrs(2.0, 301)[[0, 99, 100, 199, 200, 300]],
                               [2.0, 2.0, 1.0, 1.0, 0.5, 0.25], rtol=1e-15)


def test_exponential_closed_form():
    s = make_schedule("exponential", {"gamma": 0.9})
    t = np.arange(50)
    np.testing.assert_allclose(s.lrs(0.1, 50), 0.1 * 0.9**t, rtol=1e-14)
    assert s.lrs(1.0, 2)[1] == pytest.approx(0.9, abs=1e-15)


def test_power_closed_form():
    s = make_schedule("power", {"s": 10.0, "c": 0.5})
    lrs = s.lrs(0.2, 31)
    assert lrs[0] == pytest.approx(0.2, abs=1e-15)
    assert lrs[30] == pytest.approx(0.1, abs=1e-15)  # (1 + 30/10)^(-1/2) = 1/2
    assert lrs[10] == pytest.approx(0.2 / math.sqrt(2), abs=1e-15)
    # c = 0 is constant
    np.testing.assert_allclose(make_schedule("power", {"c": 0.0}).lrs(0.2, 20), 0.2, rtol=0, atol=0)


def test_cosine_closed_form_including_past_t_max():
    s = make_schedule("cosine", {"t_max": 10, "eta_min": 0.01})
    lrs = s.lrs(0.1, 41)
    # η_t = η_min + (η − η_min)(1 + cos(π t / T))/2, periodic past T (as torch's recursion is)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(41)]
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-15)
    assert lrs[0] == pytest.approx(0.1, abs=1e-15)
    assert lrs[5] == pytest.approx(0.055, abs=1e-15)
    assert lrs[10] == pytest.approx(0.01, abs=1e-15)
    assert lrs[15] == pytest.approx(0.055, abs=1e-15)
    assert lrs[20] == pytest.approx(0.1, abs=1e-15)
    assert lrs[30] == pytest.approx(0.01, abs=1e-15)
    # eta_min is absolute: the factor depends on the base lr
    assert s.factor(np.array([10.0]), 0.02)[0] == pytest.approx(0.5, abs=1e-15)


def test_linear_closed_form():
    s = make_schedule("linear", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4})
    np.testing.assert_allclose(s.lrs(1.0, 8), [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0, 1.0, 1.0], rtol=0, atol=1e-15)
    # torch's default: start 1/3, end 1, 5 updates; update 0 already uses start_factor
    d = make_schedule("linear")
    np.testing.assert_allclose(d.lrs(3.0, 7), [1.0, 1.4, 1.8, 2.2, 2.6, 3.0, 3.0], rtol=0, atol=1e-14)
    # decreasing is allowed
    down = make_schedule("linear", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 2})
    np.testing.assert_allclose(down.lrs(1.0, 4), [1.0, 0.5, 0.0, 0.0], rtol=0, atol=0)


def test_lrs_broadcasts_an_array_of_base_lrs():
    s = make_schedule("exponential", {"gamma": 0.5})
    lrs = s.lrs(np.array([[1.0], [2.0]]), 3)
    np.testing.assert_allclose(lrs, [[1.0, 0.5, 0.25], [2.0, 1.0, 0.5]], rtol=0, atol=0)


# ---------------------------------------------------------------- against torch
TORCH_CASES = [
    ("step", {"step_size": 40, "gamma": 0.7}, lambda sch, o: sch.StepLR(o, step_size=40, gamma=0.7)),
    ("step", {"step_size": 1, "gamma": 0.98}, lambda sch, o: sch.StepLR(o, step_size=1, gamma=0.98)),
    ("exponential", {"gamma": 0.99}, lambda sch, o: sch.ExponentialLR(o, gamma=0.99)),
    ("power", {"s": 20.0, "c": 0.7}, lambda sch, o: sch.LambdaLR(o, lambda t: (1 + t / 20.0) ** -0.7)),
    ("cosine", {"t_max": 70, "eta_min": 0.003}, lambda sch, o: sch.CosineAnnealingLR(o, T_max=70, eta_min=0.003)),
    ("cosine", {"t_max": 300, "eta_min": 0.0}, lambda sch, o: sch.CosineAnnealingLR(o, T_max=300)),
    ("cosine", {"t_max": 1, "eta_min": 0.01}, lambda sch, o: sch.CosineAnnealingLR(o, T_max=1, eta_min=0.01)),
    ("linear", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 100},
     lambda sch, o: sch.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=100)),
    ("linear", {}, lambda sch, o: sch.LinearLR(o)),
    ("linear", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 250},
     lambda sch, o: sch.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=250)),
]


@pytest.mark.parametrize("name, params, make", TORCH_CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(TORCH_CASES)])
def test_matches_torch_lr_scheduler_over_300_steps(name, params, make):
    torch = pytest.importorskip("torch")
    base = 0.05
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make(torch.optim.lr_scheduler, opt)
    theirs = []
    for _ in range(300):
        theirs.append(opt.param_groups[0]["lr"])  # the lr this update uses
        p.grad = torch.zeros(2, dtype=torch.float64)
        opt.step()
        sched.step()
    ours = make_schedule(name, params).lrs(base, 300)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- validation
def test_unknown_schedule_lists_allowed_names():
    with pytest.raises(ValueError) as err:
        make_schedule("cyclic")
    for name in REGISTRY:
        assert name in str(err.value)


@pytest.mark.parametrize("name, params, word", [
    ("constant", {"gamma": 0.5}, "gamma"),
    ("step", {"step_size": 0}, "step_size"),
    ("step", {"step_size": 2.5}, "step_size"),
    ("step", {"gamma": 0.0}, "gamma"),
    ("step", {"gamma": 1.5}, "gamma"),
    ("exponential", {"gamma": -0.1}, "gamma"),
    ("exponential", {"step_size": 3}, "step_size"),
    ("power", {"s": 0.0}, "'s'"),
    ("power", {"c": -1.0}, "'c'"),
    ("cosine", {"t_max": 0}, "t_max"),
    ("cosine", {"eta_min": -0.1}, "eta_min"),
    ("cosine", {"eta_min": float("inf")}, "eta_min"),
    ("linear", {"start_factor": 0.0}, "start_factor"),
    ("linear", {"end_factor": 1.5}, "end_factor"),
    ("linear", {"total_iters": 0}, "total_iters"),
    ("linear", {"total_iters": "5"}, "total_iters"),
])
def test_bad_params_raise(name, params, word):
    with pytest.raises(ValueError, match=word):
        make_schedule(name, params)
