"""Schedule-Free AdamW: schedulefree.AdamWScheduleFree parity of the train point y (the path) and the
evaluation point x (aux_path), recorded and live."""

from tests.engine import optimizer_parity as parity

NAME = "adamw_schedulefree"
CASES = [
    {"id": "quadratic", "surface": "quadratic",
     "hparams": {"lr": 0.05, "betas": [0.85, 0.99], "eps": 1e-6, "warmup_steps": 10, "r": 1.0}},
    {"id": "rosenbrock_wd", "surface": "rosenbrock",
     "hparams": {"lr": 0.01, "betas": [0.9, 0.95], "weight_decay": 0.02, "warmup_steps": 20,
                 "weight_lr_power": 1.5}},
]


def reference(lib, params, hp):
    hp = {**hp, "betas": tuple(hp["betas"])}
    return lib.schedulefree.AdamWScheduleFree(params, **hp, foreach=False)


def reference_aux(opt, p, start):
    state = opt.state[p]
    if "z" not in state:
        return {"aux_path": start.tolist()}
    beta1 = opt.param_groups[0]["betas"][0]
    return {"aux_path": p.detach().clone().lerp_(state["z"], 1 - 1 / beta1).numpy().tolist()}


def test_matches_recorded_reference():
    parity.check_fixture(NAME, CASES)


def test_matches_schedulefree_live():
    parity.check_live(__name__, needs="schedulefree")
