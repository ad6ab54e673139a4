"""A start's numbers never depend on what else is in its batch (issue 17).

On some CPUs OpenBLAS rounds a (1, 2) @ (2, 2) product with another kernel than an
(n, 2) @ (2, 2) one, so a gradient written as `points @ H` made a path depend on how many
other optimizers shared its request. These properties pin the guarantee down bit for bit:
- `run_many`: an optimizer's run beside companions equals its run alone;
- `run_batch` (basins, phase, tune): start i of a batch equals the same start alone, and
  equals `run_many`'s run from that start, with and without noise and schedules;
- the phase runner's cells (hyperparameters as arrays) equal single runs with those values.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis.phase import batched_optimizer
from engine.optimizers import REGISTRY as OPTIMIZERS
from engine.optimizers import make_optimizer
from engine.run import Noise, run_batch, run_many
from engine.schedules import make_schedule
from engine.surfaces import REGISTRY as SURFACES
from engine.surfaces import make_surface
from engine.surfaces.custom import make_custom

# every surface with off-diagonal curvature where it has a knob for it
SURFACE_PARAMS = {
    "quadratic": {"kappa": 50.0, "theta": 30.0},
    "saddle": {"a": 1.0, "b": 2.0},
    "least_squares": {"rho": 0.8, "scale_ratio": 4.0},
    "logistic": {"l2": 0.05},
}
SURFACE_NAMES = sorted(SURFACES) + ["custom"]
CUSTOM_EXPR = "x**2 + 10*y**2 - 0.5*sin(3*x*y) + 0.3*x*y"

# a learning rate per optimizer that moves visibly on every surface without always diverging
LR = {"gd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.05,
      "adamw": 0.05, "adadelta": 1.0, "newton": 0.5, "adamax": 0.05, "nadam": 0.05, "radam": 0.05, "rprop": 0.01,
      "asgd": 0.01, "adafactor": 0.05, "lion": 0.01, "sgd_schedulefree": 0.01, "adamw_schedulefree": 0.05}
OPTIMIZER_NAMES = sorted(OPTIMIZERS)
STEPS = 60


def surface_for(name):
    if name == "custom":
        return make_custom(CUSTOM_EXPR, {"x": [-3, 3], "y": [-3, 3]})
    return make_surface(name, SURFACE_PARAMS.get(name))


def optimizer_for(name):
    return make_optimizer(name, {"lr": LR.get(name, 0.01)})


def start_in(surface, u, v):
    (xlo, xhi), (ylo, yhi) = surface.domain
    return [xlo + (xhi - xlo) * (0.1 + 0.8 * u), ylo + (yhi - ylo) * (0.1 + 0.8 * v)]


def assert_same_run(a, b):
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.grad_norm, b.grad_norm)
    np.testing.assert_array_equal(a.lr, b.lr)
    assert (a.status, a.steps_taken) == (b.status, b.steps_taken)


unit = st.floats(0.0, 1.0)
noises = st.sampled_from([None, Noise(0.3, 5)])
schedules = st.sampled_from([None, make_schedule("cosine", {"t_max": 40, "eta_min": 1e-4}),
                             make_schedule("step", {"step_size": 7, "gamma": 0.7})])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(surface=st.sampled_from(SURFACE_NAMES), name=st.sampled_from(OPTIMIZER_NAMES),
       companions=st.lists(st.sampled_from(OPTIMIZER_NAMES), min_size=1, max_size=7),
       position=st.integers(0, 7), u=unit, v=unit, noise=noises, schedule=schedules)
def test_a_run_beside_companions_equals_the_run_alone(surface, name, companions, position, u, v, noise, schedule):
    surf = surface_for(surface)
    start = start_in(surf, u, v)
    (alone,) = run_many(surf, [optimizer_for(name)], start, STEPS, schedule, noise)
    position = min(position, len(companions))
    together = [optimizer_for(c) for c in companions]
    together.insert(position, optimizer_for(name))
    runs = run_many(surf, together, start, STEPS, schedule, noise)
    assert_same_run(runs[position], alone)


@SETTINGS
@given(surface=st.sampled_from(SURFACE_NAMES), name=st.sampled_from(OPTIMIZER_NAMES),
       n=st.sampled_from([1, 2, 3, 8]), position=st.integers(0, 7), u=unit, v=unit,
       others=st.lists(st.tuples(unit, unit), min_size=7, max_size=7), noise=noises, schedule=schedules)
def test_a_start_in_a_batch_equals_the_start_alone_and_its_single_run(surface, name, n, position, u, v, others,
                                                                      noise, schedule):
    surf = surface_for(surface)
    opt = optimizer_for(name)
    start = start_in(surf, u, v)
    position = min(position, n - 1)
    starts = [start_in(surf, a, b) for a, b in others[: n - 1]]
    starts.insert(position, start)

    def batch(points):
        return run_batch(surf.grad, surf.value, opt, np.array(points), STEPS, opt.hparams["lr"], schedule=schedule,
                         noise=noise, record_path=True, hessian_fn=surf.hessian)

    together, alone = batch(starts), batch([start])
    np.testing.assert_array_equal(together.path[:, position], alone.path[:, 0])
    np.testing.assert_array_equal(together.final_loss[position], alone.final_loss[0])
    assert together.diverged_at[position] == alone.diverged_at[0]
    assert together.converged_at[position] == alone.converged_at[0]
    (single,) = run_many(surf, [opt], start, STEPS, schedule, noise)
    kept = single.steps_taken + 1
    np.testing.assert_array_equal(alone.path[:kept, 0], single.path)
    assert np.all(np.isnan(alone.path[kept:, 0]))
    np.testing.assert_array_equal(alone.final_loss[0], single.loss[-1])


PHASE_AXES = {
    "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"), "gd": ("lr", "weight_decay"),
    "adam": ("lr", "eps"), "rmsprop": ("lr", "alpha"), "adagrad": ("lr", "lr_decay"),
    "adadelta": ("lr", "rho"), "newton": ("lr", "damping"), "adamw": ("lr", "weight_decay"),
    "adamax": ("lr", "eps"), "nadam": ("lr", "momentum_decay"), "radam": ("lr", "eps"), "rprop": ("lr", None),
    "asgd": ("lr", "lambd"), "adafactor": ("lr", "beta2_decay"), "lion": ("lr", "weight_decay"),
    "sgd_schedulefree": ("lr", "weight_decay"), "adamw_schedulefree": ("lr", "r"), "lbfgs": ("lr", "tolerance_grad"),
}


@SETTINGS
@given(surface=st.sampled_from(SURFACE_NAMES), name=st.sampled_from(OPTIMIZER_NAMES), u=unit, v=unit,
       scale=st.lists(st.floats(0.2, 1.0), min_size=3, max_size=3), second=st.lists(unit, min_size=3, max_size=3))
def test_phase_cells_equal_single_runs_with_those_hyperparameters(surface, name, u, v, scale, second):
    surf = surface_for(surface)
    start = start_in(surf, u, v)
    ax, ay = PHASE_AXES[name]
    info = OPTIMIZERS[name]
    lrs = np.array([LR.get(name, 0.01) * s for s in scale])
    if ay is None:  # no scalar hyperparameter besides lr (rprop): cells over lr alone
        ay, seconds = ax, lrs
    else:
        param = next(p for p in info.params if p.name == ay)
        seconds = np.array([param.min + (min(param.max, 1.0) - param.min) * w for w in second])
    optimizer, values = batched_optimizer(name, {}, {ax: lrs[:, None], ay: seconds[:, None]})
    batch = run_batch(surf.grad, surf.value, optimizer, np.tile(start, (3, 1)), STEPS, values["lr"],
                      record_path=True, hessian_fn=surf.hessian)
    for i in range(3):
        (single,) = run_many(surf, [make_optimizer(name, {ax: float(lrs[i]), ay: float(seconds[i])})], start, STEPS)
        np.testing.assert_array_equal(batch.path[: single.steps_taken + 1, i], single.path)



@settings(max_examples=12, deadline=None)
@given(name=st.sampled_from([n for n in OPTIMIZER_NAMES if n != "newton"]),
       companions=st.lists(st.sampled_from([n for n in OPTIMIZER_NAMES if n != "newton"]), min_size=1, max_size=4),
       position=st.integers(0, 4), batch_size=st.sampled_from([None, 16]), activation=st.sampled_from(["tanh", "relu"]))
def test_a_network_training_beside_others_equals_the_training_alone(name, companions, position, batch_size,
                                                                   activation):
    """Trainings of one request are stacked (B, N, in) @ (B, in, out) matmuls with identical per-item
    shapes, so each item goes through the same kernel whatever B is."""
    from engine.nn.datasets import make_dataset
    from engine.nn.mlp import MLP
    from engine.nn.train import train

    data = make_dataset("moons", n=50, seed=2, noise=0.2)
    model = MLP((6, 5), activation, "bce")
    spec = {"name": name, "lr": LR.get(name, 0.01)}
    options = {"init_seed": 4, "batch_size": batch_size, "shuffle_seed": 3}
    (alone,) = train(model, data, [spec], 25, **options).runs
    specs = [{"name": c, "lr": LR.get(c, 0.01)} for c in companions]
    position = min(position, len(specs))
    specs.insert(position, spec)
    together = train(model, data, specs, 25, **options).runs[position]
    np.testing.assert_array_equal(together.weights, alone.weights)
    np.testing.assert_array_equal(together.loss, alone.loss)
    assert together.status == alone.status
