"""Adamax: torch.optim.Adamax parity (recorded and live) and its first step by hand."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "adamax"
CASES = [
    {"id": "quadratic", "surface": "quadratic", "hparams": {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.02, "betas": [0.85, 0.95], "eps": 1e-4, "weight_decay": 0.05}},
]


def reference(lib, params, hp):
    return lib.torch.optim.Adamax(params, **hp, foreach=False)


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_first_step_is_lr_times_sign():
    """u₁ = |g| + ε and m₁/(1 − β₁) = g, so x₁ = x₀ − η g/(|g| + ε)."""
    opt = make_optimizer("adamax", {"lr": 0.1, "eps": 1e-3})
    g = np.array([2.0, -0.5])
    x, _ = opt.update(g, opt.init(np.zeros(2)), np.zeros(2), 0.1)
    np.testing.assert_allclose(x, -0.1 * g / (np.abs(g) + 1e-3), rtol=1e-15)
