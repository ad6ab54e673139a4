"""Rprop: torch.optim.Rprop parity (recorded and live), sign steps and validation of etas."""

import numpy as np
import pytest

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "rprop"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.05, "etas": [0.4, 1.3], "step_sizes": [1e-5, 1.0]}},
    {"id": "rosenbrock", "surface": "rosenbrock",
     "hparams": {"lr": 0.001, "etas": [0.6, 1.1], "step_sizes": [1e-8, 0.5]}},
]


def reference(lib, params, hp):
    return lib.torch.optim.Rprop(params, **hp, foreach=False)


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_steps_depend_only_on_signs():
    opt = make_optimizer("rprop", {"lr": 0.1})
    x, state = opt.update(np.array([1e-6, -300.0]), opt.init(np.zeros(2)), np.zeros(2), 0.1)
    np.testing.assert_array_equal(x, [-0.1, 0.1])
    # same signs again: Δ grows by η+ = 1.2; a flip shrinks Δ by η− = 0.5 and skips the move
    x, state = opt.update(np.array([5.0, 7.0]), state, x, 0.1)
    np.testing.assert_allclose(x, [-0.1 - 0.12, 0.1], rtol=1e-15)
    np.testing.assert_allclose(state.step_size, [0.12, 0.05], rtol=1e-15)


@pytest.mark.parametrize("etas", [[1.2, 0.5], [0.5, 0.9], [0.0, 1.2]])
def test_etas_must_bracket_one(etas):
    with pytest.raises(ValueError, match="etas"):
        make_optimizer("rprop", {"etas": etas})
