"""NAdam: torch.optim.NAdam parity (recorded and live), coupled and decoupled weight decay."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "nadam"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.05, "betas": [0.85, 0.99], "eps": 1e-6, "momentum_decay": 0.01}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.01, "betas": [0.9, 0.95], "weight_decay": 0.05}},
    {"id": "rosenbrock_decoupled", "surface": "rosenbrock",
     "hparams": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}},
]


def reference(lib, params, hp):
    return lib.torch.optim.NAdam(params, **hp, foreach=False)


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_momentum_schedule_warms_up():
    """μ₁ = β₁(1 − ½·0.96^ψ): the first step mixes g and m with the warmed-up weights."""
    opt = make_optimizer("nadam", {"lr": 0.1})
    g = np.array([1.0, -2.0])
    x, state = opt.update(g, opt.init(np.zeros(2)), np.zeros(2), 0.1)
    mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
    denom = np.abs(g) + 1e-8  # √(v/(1 − β₂)) = |g|
    expected = -0.1 * (1 - mu1) / (1 - mu1) * g / denom - 0.1 * mu2 / (1 - mu1 * mu2) * 0.1 * g / denom
    np.testing.assert_allclose(x, expected, rtol=1e-13)
    assert state.mu_product == mu1
