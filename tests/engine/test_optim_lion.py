"""Lion: lion_pytorch.Lion parity (recorded and live) and its sign steps."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "lion"
CASES = [
    {"id": "quadratic", "surface": "quadratic", "hparams": {"lr": 0.02, "betas": [0.8, 0.95]}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.003, "betas": [0.95, 0.98], "weight_decay": 0.5}},
]


def reference(lib, params, hp):
    return lib.lion_pytorch.Lion(params, lr=hp["lr"], betas=tuple(hp["betas"]), weight_decay=hp.get("weight_decay", 0))


def test_matches_recorded_reference():
    parity.check_fixture(NAME, CASES)


def test_matches_lion_pytorch_live():
    parity.check_live(__name__, needs="lion_pytorch")


def test_every_coordinate_moves_by_exactly_lr():
    opt = make_optimizer("lion", {"lr": 0.01})
    x = np.zeros(2)
    state = opt.init(x)
    x1, state = opt.update(np.array([1e-9, -1e3]), state, x, 0.01)
    np.testing.assert_array_equal(x1 - x, [-0.01, 0.01])
