"""L-BFGS: torch.optim.LBFGS parity of the path (one point per .step(closure)) and of the cumulative
function evaluations, with and without the strong-Wolfe line search (recorded and live)."""

import numpy as np
import pytest

from engine.optimizers import make_optimizer
from engine.run import run_many
from engine.surfaces import make_surface
from tests.engine import optimizer_parity as parity

NAME = "lbfgs"
REFERENCE_NEEDS_CLOSURE = True
CASES = [
    {"id": "quadratic_fixed_step", "surface": "quadratic",
     "hparams": {"lr": 0.02, "max_iter": 3, "history_size": 5}},
    {"id": "rosenbrock_fixed_step", "surface": "rosenbrock",
     "hparams": {"lr": 0.0005, "max_iter": 4, "max_eval": 6, "history_size": 3, "tolerance_change": 1e-12}},
    {"id": "quadratic_wolfe", "surface": "quadratic",
     "hparams": {"lr": 0.5, "max_iter": 2, "line_search_fn": "strong_wolfe", "tolerance_grad": 1e-9}},
    {"id": "rosenbrock_wolfe", "surface": "rosenbrock",
     "hparams": {"lr": 0.3, "max_iter": 2, "max_eval": 8, "history_size": 4, "line_search_fn": "strong_wolfe",
                 "tolerance_grad": 1e-10, "tolerance_change": 1e-14}},
]


def reference(lib, params, hp):
    hp = {**hp, "line_search_fn": None if hp.get("line_search_fn", "none") == "none" else hp["line_search_fn"]}
    return lib.torch.optim.LBFGS(params, **hp)


def reference_aux(opt, p, start):
    return {"func_evals": float(opt.state[p].get("func_evals", 0)) if p in opt.state else 0.0}


def test_matches_recorded_torch():
    parity.check_fixture(NAME, CASES)


def test_matches_torch_live():
    parity.check_live(__name__)


def test_reaches_rosenbrock_minimum_with_line_search_and_counts_evaluations():
    """Torch's defaults stop near (1, 1) once |Δf| < 1e-9; each later step is one evaluation (the check)."""
    surf = make_surface("rosenbrock")
    opt = make_optimizer(NAME, {"line_search_fn": "strong_wolfe"})
    (run,) = run_many(surf, [opt], [-1.2, 1.0], 10)
    np.testing.assert_allclose(run.path[-1], [1.0, 1.0], atol=1e-4)
    evals = run.aux["func_evals"]
    assert evals[0] == 0 and evals[1] == 25  # the first step spends max_eval = 25 evaluations
    assert np.all(np.diff(evals) >= 1) and evals[-1] <= 10 * 25


def test_needs_a_closure_and_bounds_the_batch():
    opt = make_optimizer(NAME)
    assert opt.needs_closure
    with pytest.raises(ValueError, match="closure"):
        opt.update(np.ones(2), opt.init(np.ones(2)), np.ones(2), 1.0)
    big = np.zeros((1000, 2))  # 1000 starts × 25 evaluations > MAX_CLOSURE_EVALS
    with pytest.raises(ValueError, match="starts × steps × max_eval"):
        opt.update(big, opt.init(big), big, 1.0, closure=lambda p: (0.0, p))


def test_rejects_unknown_line_search():
    with pytest.raises(ValueError, match="line_search_fn"):
        make_optimizer(NAME, {"line_search_fn": "armijo"})
