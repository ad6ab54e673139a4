"""ASGD: torch.optim.ASGD parity for the iterate and the averaged point ax (recorded and live)."""

import numpy as np

from engine.optimizers import make_optimizer
from tests.engine import optimizer_parity as parity

NAME = "asgd"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.03, "lambd": 0.01, "alpha": 0.6, "t0": 10.0}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.0015, "lambd": 0.1, "alpha": 0.9, "t0": 20.0, "weight_decay": 0.01}},
]


def reference(lib, params, hp):
    return lib.torch.optim.ASGD(params, **hp, foreach=False)


def reference_aux(opt, p, start):
    state = opt.state[p]
    return {"aux_path": state["ax"].numpy().copy().tolist() if "ax" in state else start.tolist()}


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_average_is_the_iterate_until_t0_then_the_running_mean():
    opt = make_optimizer("asgd", {"lr": 0.1, "lambd": 0.0, "t0": 2.0})
    x = np.array([1.0, -1.0])
    state = opt.init(x)
    points = []
    for _ in range(6):
        x, state = opt.update(x * np.array([1.0, 10.0]), state, x, 0.1)
        points.append(x)
    # update t uses μ_t = 1/max(1, t − 1 − t0): x̄ = x up to t = t0 + 2 = 4, then the mean of x_4..x_t
    np.testing.assert_array_equal(opt.aux(state, x)["aux_path"].shape, (2,))
    np.testing.assert_allclose(opt.aux(state, x)["aux_path"], np.mean(points[3:], axis=0), rtol=1e-14)
