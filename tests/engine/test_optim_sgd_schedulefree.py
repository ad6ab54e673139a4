"""Schedule-Free SGD: schedulefree.SGDScheduleFree parity of the train point y (the path) and the
evaluation point x (aux_path), recorded and live."""

import numpy as np
import pytest

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "sgd_schedulefree"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.02, "momentum": 0.8, "warmup_steps": 10, "r": 0.5, "weight_lr_power": 1.0}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.0005, "momentum": 0.95, "weight_decay": 0.01, "warmup_steps": 5}},
]


def reference(lib, params, hp):
    return lib.schedulefree.SGDScheduleFree(params, **hp, foreach=False)


def reference_aux(opt, p, start):
    """x without leaving train mode (eval()/train() would round y): the library's eval() lerp on copies."""
    state = opt.state[p]
    if "z" not in state:
        return {"aux_path": start.tolist()}
    beta = opt.param_groups[0]["momentum"]
    return {"aux_path": p.detach().clone().lerp_(state["z"], 1 - 1 / beta).numpy().tolist()}


def test_matches_recorded_reference():
    parity.check_fixture(NAME, CASES)


def test_matches_schedulefree_live():
    parity.check_live(__name__, needs="schedulefree")


def test_momentum_must_be_inside_0_1():
    with pytest.raises(ValueError, match="momentum"):
        make_optimizer(NAME, {"momentum": 0.0})


def test_first_step_with_no_warmup_is_a_gd_step_and_x_is_the_start_average():
    """c₁ = 1: y₁ = z₀ − η(1 − 0)g = x₀ − η g, z₁ = x₀ − η g, and x₁ = y₁."""
    opt = make_optimizer(NAME, {"lr": 0.1})
    x0 = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    y, state = opt.update(g, opt.init(x0), x0, 0.1)
    np.testing.assert_allclose(y, x0 - 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(opt.aux(state, y)["aux_path"], y, rtol=1e-15)
