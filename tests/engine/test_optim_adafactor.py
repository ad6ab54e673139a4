"""Adafactor: torch.optim.Adafactor parity on a vector (recorded and live) and its relative step."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "adafactor"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.05, "beta2_decay": -0.6, "eps": [1e-12, 1e-2], "d": 2.0}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.02, "beta2_decay": -0.9, "d": 1.5, "weight_decay": 0.05}},
]


def reference(lib, params, hp):
    hp = dict(hp)
    if "eps" in hp:
        hp["eps"] = tuple(hp["eps"])
    return lib.torch.optim.Adafactor(params, **hp, foreach=False)


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_first_step_has_rms_alpha():
    """v₁ = g², so u = sign(g) has RMS 1: the first step is α₁ = max(ε₂, RMS(x₀))·min(η, 1) per coordinate."""
    opt = make_optimizer("adafactor", {"lr": 0.05})
    x0 = np.array([3.0, -4.0])
    x, _ = opt.update(np.array([10.0, 0.1]), opt.init(x0), x0, 0.05)
    alpha = 5.0 / np.sqrt(2) * 0.05
    np.testing.assert_allclose(x - x0, [-alpha, -alpha], rtol=1e-14)
