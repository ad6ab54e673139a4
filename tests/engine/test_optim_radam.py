"""RAdam: torch.optim.RAdam parity (recorded and live) and its un-rectified start."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "radam"
CASES = [
    {"id": "quadratic", "surface": "quadratic", "hparams": {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.005, "betas": [0.9, 0.9], "weight_decay": 0.05}},
    {"id": "rosenbrock_decoupled", "surface": "rosenbrock",
     "hparams": {"lr": 0.005, "betas": [0.7, 0.95], "weight_decay": 0.1, "decoupled_weight_decay": True}},
]


def reference(lib, params, hp):
    return lib.torch.optim.RAdam(params, **hp, foreach=False)


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_first_five_steps_are_momentum_sgd():
    """ρ_t ≤ 5 for t ≤ 5 with β₂ = 0.999: x ← x − η m̂ (a plain step of η·g first, not Adam's sign step)."""
    opt = make_optimizer("radam", {"lr": 0.1})
    g = np.array([3.0, -0.25])
    x, _ = opt.update(g, opt.init(np.zeros(2)), np.zeros(2), 0.1)
    np.testing.assert_allclose(x, -0.1 * g, rtol=1e-15)
