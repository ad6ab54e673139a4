"""Optimizers: first steps written out from torch's formulas, closed forms, batching, torch itself.

Reference functions (`ref_*`) are independent scalar re-statements of torch.optim's update
rules (one coordinate at a time, plain Python floats), used on the separable quadratic
f = ½(x² + 10y²), so each coordinate evolves on its own with gradient h·x.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.optimizers import REGISTRY, make_optimizer
from engine.surfaces import make_surface

CURV = (1.0, 10.0)  # f = ½(x² + 10 y²)
X0 = (1.0, -2.0)


# ---------------------------------------------------------------- helpers
def run(opt, x0, grad_fn, steps, lr=None, hess_fn=None):
    """Plain loop: returns the (steps + 1, ...) path; lr defaults to the optimizer's own."""
    lr = opt.hparams["lr"] if lr is None else lr
    x = np.asarray(x0, dtype=float)
    state = opt.init(x)
    path = [x]
    for _ in range(steps):
        extra = {"hessian": hess_fn(x)} if opt.needs_hessian else {}
        if opt.needs_closure:  # L-BFGS evaluates f and ∇f itself
            extra["closure"] = lambda p: (VALUE[grad_fn](p), grad_fn(p))
        x, state = opt.update(grad_fn(x), state, x, lr, **extra)
        path.append(x)
    return np.array(np.broadcast_arrays(*path))  # path[0] may be one start fanned out by array hparams


def quad_grad(x):
    return x * np.array(CURV)


def quad_hess(x):
    return np.broadcast_to(np.diag(CURV), x.shape[:-1] + (2, 2))


B_ROSEN = 5.0  # a mild Rosenbrock: f = (1 − x)² + 5 (y − x²)²


def rosen_grad(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 4 * B_ROSEN * x * (y - x * x), 2 * B_ROSEN * (y - x * x)], -1)


def rosen_value(p):
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + B_ROSEN * (y - x * x) ** 2


def rosen_hess(p):
    x, y = p[..., 0], p[..., 1]
    fxx = 2 - 4 * B_ROSEN * (y - 3 * x * x)
    fxy = -4 * B_ROSEN * x
    fyy = 2 * B_ROSEN + 0 * x
    return np.stack([np.stack([fxx, fxy], -1), np.stack([fxy, fyy], -1)], -2)


VALUE = {quad_grad: lambda p: 0.5 * (p * p * np.array(CURV)).sum(-1), rosen_grad: rosen_value}


# ---------------------------------------------------------------- scalar references (torch's formulas)
def ref_sgd(x, h, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, steps=3):
    buf, out = None, []
    for _ in range(steps):
        g = h * x + weight_decay * x
        if momentum != 0:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x)
    return out


def ref_adagrad(x, h, lr, lr_decay=0.0, eps=1e-10, initial_accumulator_value=0.0, weight_decay=0.0, steps=3):
    total, out = initial_accumulator_value, []
    for t in range(1, steps + 1):
        g = h * x + weight_decay * x
        clr = lr / (1 + (t - 1) * lr_decay)
        total = total + g * g
        x = x - clr * g / (math.sqrt(total) + eps)
        out.append(x)
    return out


def ref_rmsprop(x, h, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0, steps=3):
    sq, gavg, buf, out = 0.0, 0.0, 0.0, []
    for _ in range(steps):
        g = h * x + weight_decay * x
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            avg = math.sqrt(sq - gavg * gavg) + eps
        else:
            avg = math.sqrt(sq) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            x = x - lr * buf
        else:
            x = x - lr * g / avg
        out.append(x)
    return out


def ref_adam(x, h, lr, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, weight_decay=0.0, decoupled=False,
             steps=3):
    b1, b2 = betas
    m, v, vmax, out = 0.0, 0.0, 0.0, []
    for t in range(1, steps + 1):
        g = h * x  # gradient at the point before any decay
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        denom = math.sqrt(vmax if amsgrad else v) / math.sqrt(1 - b2**t) + eps
        x = x - lr / (1 - b1**t) * m / denom
        out.append(x)
    return out


def ref_adadelta(x, h, lr, rho=0.9, eps=1e-6, weight_decay=0.0, steps=3):
    v, u, out = 0.0, 0.0, []
    for _ in range(steps):
        g = h * x + weight_decay * x
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        x = x - lr * delta
        out.append(x)
    return out


def ref_newton(x, h, lr, damping=0.0, steps=3):
    out = []
    for _ in range(steps):
        x = x - lr * (h * x) / (h + damping)
        out.append(x)
    return out


# id: (engine name, hyperparameters given). References and torch get the *effective* hparams.
CASES = {
    "gd": ("gd", {"lr": 0.05}),
    "gd_wd": ("gd", {"lr": 0.05, "weight_decay": 0.1}),
    "momentum": ("momentum", {"lr": 0.02, "momentum": 0.9}),
    "momentum_damp_wd": ("momentum", {"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    "momentum_zero_damp": ("momentum", {"lr": 0.02, "momentum": 0.0, "dampening": 0.5}),  # torch ignores τ
    "nesterov": ("nesterov", {"lr": 0.02, "momentum": 0.9}),
    "nesterov_wd": ("nesterov", {"lr": 0.02, "momentum": 0.7, "weight_decay": 0.1}),
    "adagrad": ("adagrad", {"lr": 0.1}),
    "adagrad_all": ("adagrad", {"lr": 0.1, "lr_decay": 0.5, "eps": 1e-3, "initial_accumulator_value": 0.2,
                                "weight_decay": 0.1}),
    "rmsprop": ("rmsprop", {"lr": 0.01}),
    "rmsprop_centered": ("rmsprop", {"lr": 0.01, "alpha": 0.9, "centered": True}),
    "rmsprop_momentum": ("rmsprop", {"lr": 0.01, "momentum": 0.5}),
    "rmsprop_centered_momentum_wd": ("rmsprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5,
                                                 "centered": True, "weight_decay": 0.1}),
    "adam": ("adam", {"lr": 0.1}),
    "adam_wd": ("adam", {"lr": 0.1, "weight_decay": 0.1}),
    # β₂ = 0.5 lets v shrink, so AMSGrad's max actually bites
    "adam_amsgrad": ("adam", {"lr": 0.1, "betas": [0.9, 0.5], "amsgrad": True}),
    "adamw": ("adamw", {"lr": 0.1}),  # default weight_decay 0.01
    "adamw_amsgrad_wd": ("adamw", {"lr": 0.1, "betas": [0.8, 0.5], "eps": 1e-4, "weight_decay": 0.5,
                                   "amsgrad": True}),
    "adadelta": ("adadelta", {"lr": 1.0}),
    "adadelta_all": ("adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    "newton": ("newton", {"lr": 0.5}),
    "newton_damped": ("newton", {"lr": 0.5, "damping": 1.0}),
}
# engine name: (scalar reference, extra reference kwargs, torch.optim class name, extra torch kwargs)
FAMILY = {
    "gd": (ref_sgd, {}, "SGD", {}),
    "momentum": (ref_sgd, {}, "SGD", {}),
    "nesterov": (ref_sgd, {"nesterov": True}, "SGD", {"nesterov": True}),
    "adagrad": (ref_adagrad, {}, "Adagrad", {}),
    "rmsprop": (ref_rmsprop, {}, "RMSprop", {}),
    "adam": (ref_adam, {}, "Adam", {}),
    "adamw": (ref_adam, {"decoupled": True}, "AdamW", {}),
    "adadelta": (ref_adadelta, {}, "Adadelta", {}),
    "newton": (ref_newton, {}, None, {}),
}


def effective(case):
    """The optimizer of a case and its effective hyperparameters (betas as a tuple)."""
    name, hp = CASES[case]
    opt = make_optimizer(name, hp)
    return opt, {k: tuple(v) if k == "betas" else v for k, v in opt.hparams.items()}


def make_torch(torch, case, params):
    name = CASES[case][0]
    _, _, cls, extra = FAMILY[name]
    return getattr(torch.optim, cls)(params, **effective(case)[1], **extra, foreach=False)


# ---------------------------------------------------------------- first three steps, by hand
@pytest.mark.parametrize("case", sorted(CASES))
def test_first_three_steps_match_torch_formulas(case):
    opt, hp = effective(case)
    ref, ref_extra, _, _ = FAMILY[opt.name]
    path = run(opt, X0, quad_grad, 3, hess_fn=quad_hess)
    expected = np.array([ref(X0[i], CURV[i], **hp, **ref_extra) for i in range(2)]).T
    np.testing.assert_allclose(path[1:], expected, rtol=1e-13, atol=1e-15)
    assert path.shape == (4, 2)


def test_first_steps_literal_values():
    """A few numbers worked out on paper, to pin the conventions (ε placement, first-step scale)."""
    # Adam's first step is η·g/(|g| + ε): a sign step of length η per coordinate.
    p = run(make_optimizer("adam", {"lr": 0.1}), X0, quad_grad, 1)[1]
    np.testing.assert_allclose(p, [1 - 0.1 / (1 + 1e-8), -2 + 0.1 * 20 / (20 + 1e-8)], rtol=0, atol=1e-15)
    # RMSprop starts from r = 0: first step is η g/(√(1−α)|g| + ε) ≈ 10η sign(g).
    p = run(make_optimizer("rmsprop", {"lr": 0.01}), X0, quad_grad, 1)[1]
    np.testing.assert_allclose(p, [1 - 0.01 / (0.1 + 1e-8), -2 + 0.01 * 20 / (0.1 * 20 + 1e-8)], atol=1e-14)
    # Adagrad: r = g², step η·g/(|g| + 1e-10).
    p = run(make_optimizer("adagrad", {"lr": 0.1}), X0, quad_grad, 1)[1]
    np.testing.assert_allclose(p, [0.9, -1.9], atol=1e-9)
    # Adadelta: Δ = √ε/√(0.1 g² + ε)·g, ≈ 3.16e-3 per coordinate at the defaults.
    p = run(make_optimizer("adadelta"), X0, quad_grad, 1)[1]
    np.testing.assert_allclose(p, [1 - 1e-3 / math.sqrt(0.1 + 1e-6), -2 + 20e-3 / math.sqrt(40 + 1e-6)],
                               atol=1e-15)
    # AdamW's decay is applied before the step: x(1 − η·wd) − η·sign(g).
    p = run(make_optimizer("adamw", {"lr": 0.1, "weight_decay": 0.5}), X0, quad_grad, 1)[1]
    np.testing.assert_allclose(p, [0.95 - 0.1, -1.9 + 0.1], atol=1e-8)


def test_variants_change_the_path():
    """The variant tests above would be vacuous if the switch did nothing on this problem."""
    def three(name, hp):
        return run(make_optimizer(name, hp), X0, quad_grad, 3)[1:]
    assert not np.allclose(three("adam", {"lr": 0.1, "betas": [0.9, 0.5]}),
                           three("adam", {"lr": 0.1, "betas": [0.9, 0.5], "amsgrad": True}), rtol=0, atol=1e-6)
    assert not np.allclose(three("rmsprop", {"alpha": 0.9}),
                           three("rmsprop", {"alpha": 0.9, "centered": True}), rtol=0, atol=1e-6)
    assert not np.allclose(three("momentum", {"momentum": 0.8}),
                           three("momentum", {"momentum": 0.8, "dampening": 0.3}), rtol=0, atol=1e-6)


# ---------------------------------------------------------------- closed forms
def test_gd_on_quadratic_matches_closed_form():
    surf = make_surface("quadratic", {"kappa": 25, "theta": 30})
    eta, x0 = 0.07, np.array([-4.0, 2.0])
    path = run(make_optimizer("gd", {"lr": eta}), x0, surf.grad, 100)
    H = surf.hessian(np.zeros(2))
    expected = [np.linalg.matrix_power(np.eye(2) - eta * H, t) @ x0 for t in range(101)]
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-12)


def test_newton_on_quadratic_reaches_minimum_in_one_step():
    surf = make_surface("quadratic", {"kappa": 25, "theta": 30})
    path = run(make_optimizer("newton"), [-4.0, 2.0], surf.grad, 1, hess_fn=surf.hessian)
    np.testing.assert_allclose(path[1], [0.0, 0.0], rtol=0, atol=1e-12)


def test_newton_jumps_to_the_saddle_and_damping_escapes_it():
    def grad(p):  # f = ½(x² − y²)
        return p * np.array([1.0, -1.0])

    def hess(p):
        return np.broadcast_to(np.diag([1.0, -1.0]), p.shape[:-1] + (2, 2))

    start = np.array([1.5, -0.7])
    path = run(make_optimizer("newton"), start, grad, 1, hess_fn=hess)
    np.testing.assert_allclose(path[1], [0.0, 0.0], rtol=0, atol=1e-15)
    # damping 2 > |λmin| = 1: (H + 2I) = diag(3, 1), so x ← 2x/3 and y ← 2y: it leaves the saddle
    path = run(make_optimizer("newton", {"damping": 2.0}), start, grad, 1, hess_fn=hess)
    np.testing.assert_allclose(path[1], [1.0, -1.4], rtol=0, atol=1e-15)


def test_newton_singular_hessian_poisons_only_that_start():
    opt = make_optimizer("newton")
    params = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0], [0.5, 0.5]])
    grads = np.array([[1.0, 2.0], [1.0, 1.0], [3.0, -1.0], [1.0, 0.0]])
    hess = np.stack([np.eye(2), np.zeros((2, 2)), 2 * np.eye(2), np.full((2, 2), np.nan)])
    new, state = opt.update(grads, opt.init(params), params, 1.0, hessian=hess)
    np.testing.assert_allclose(new[[0, 2]], [[0.0, 0.0], [1.5, -0.5]], atol=1e-15)
    assert np.all(np.isnan(new[[1, 3]]))
    assert state.step == 1
    # a singular H is fine once damped
    new, _ = make_optimizer("newton", {"damping": 1.0}).update(grads[1], opt.init(params[1]), params[1], 1.0,
                                                               hessian=hess[1])
    np.testing.assert_allclose(new, [-1.0, -1.0], atol=1e-15)


def test_newton_without_hessian_is_a_value_error():
    opt = make_optimizer("newton")
    assert opt.needs_hessian
    with pytest.raises(ValueError, match="hessian"):
        opt.update(np.ones(2), opt.init(np.ones(2)), np.ones(2), 1.0)


# ---------------------------------------------------------------- batching
BATCH_HPARAMS = dict(CASES.values())  # one setting per optimizer (last wins)


@settings(max_examples=40, deadline=None)
@given(starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=5),
       name=st.sampled_from(sorted(BATCH_HPARAMS)))
def test_batch_equals_rows_alone(starts, name):
    opt = make_optimizer(name, BATCH_HPARAMS[name])
    batch = run(opt, np.array(starts), rosen_grad, 6, hess_fn=rosen_hess)  # (7, N, 2)
    for i, start in enumerate(starts):
        alone = run(opt, np.array(start), rosen_grad, 6, hess_fn=rosen_hess)
        np.testing.assert_allclose(batch[:, i], alone, rtol=1e-14, atol=1e-14)


# Each optimizer with every float hyperparameter varied across N = 3 rows.
ARRAY_HPARAMS = {
    "gd": {"lr": [0.002, 0.005, 0.01], "weight_decay": [0.0, 0.1, 0.3]},
    "momentum": {"lr": [0.002, 0.005, 0.01], "momentum": [0.0, 0.5, 0.9], "dampening": [0.5, 0.1, 0.3],
                 "weight_decay": [0.0, 0.1, 0.3]},
    "nesterov": {"lr": [0.002, 0.005, 0.01], "momentum": [0.0, 0.5, 0.9], "weight_decay": [0.2, 0.1, 0.0]},
    "adagrad": {"lr": [0.05, 0.1, 0.2], "lr_decay": [0.0, 0.1, 1.0], "eps": [1e-10, 1e-6, 1e-3],
                "initial_accumulator_value": [0.0, 0.1, 1.0], "weight_decay": [0.0, 0.1, 0.3]},
    "rmsprop": {"lr": [0.001, 0.01, 0.02], "alpha": [0.9, 0.99, 0.5], "eps": [1e-8, 1e-6, 1e-3],
                "momentum": [0.0, 0.5, 0.9], "weight_decay": [0.0, 0.1, 0.3]},
    "adam": {"lr": [0.01, 0.05, 0.1], "betas": ([0.8, 0.9, 0.95], [0.5, 0.999, 0.9]), "eps": [1e-8, 1e-6, 1e-3],
             "weight_decay": [0.0, 0.1, 0.3]},
    "adamw": {"lr": [0.01, 0.05, 0.1], "betas": ([0.8, 0.9, 0.95], [0.5, 0.999, 0.9]), "eps": [1e-8, 1e-6, 1e-3],
              "weight_decay": [0.0, 0.1, 0.3]},
    "adadelta": {"lr": [0.5, 1.0, 2.0], "rho": [0.5, 0.9, 0.99], "eps": [1e-6, 1e-4, 1e-3],
                 "weight_decay": [0.0, 0.1, 0.3]},
    "newton": {"lr": [0.3, 0.7, 1.0], "damping": [0.0, 1.0, 10.0]},
}
FLAGS = {"rmsprop": [{}, {"centered": True}], "adam": [{}, {"amsgrad": True}], "adamw": [{}, {"amsgrad": True}]}


def _column(values):
    return np.asarray(values, dtype=float).reshape(-1, 1)


def array_hparams(name):
    """The table above, or for a newer optimizer every float hyperparameter of its Param table varied
    around its default within its range (lr around min(default, 0.01) so Rosenbrock stays finite)."""
    if name in ARRAY_HPARAMS:
        return ARRAY_HPARAMS[name]
    out = {}
    for p in REGISTRY[name].params:
        if p.name == "lr":
            out["lr"] = [min(p.default, 0.01) * s for s in (0.3, 0.6, 1.0)]
        elif p.kind == "float":
            lo, hi = p.min, min(p.max, p.default + 1.0)
            out[p.name] = [p.default, p.default + 0.3 * (hi - p.default), p.default - 0.3 * (p.default - lo)]
    return out


@pytest.mark.parametrize("name", list(REGISTRY))
def test_hyperparameter_arrays_equal_separate_runs(name):
    factory = REGISTRY[name].factory
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.5, 2.0]])
    for flags in FLAGS.get(name, [{}]):
        arrays = {k: (tuple(_column(b) for b in v) if k == "betas" else _column(v))
                  for k, v in array_hparams(name).items()}
        batch_opt = factory(**arrays, **flags)
        batch = run(batch_opt, starts, rosen_grad, 8, lr=arrays["lr"], hess_fn=rosen_hess)
        assert batch.shape == (9, 3, 2)
        for i in range(3):
            scalars = {k: (tuple(b[i] for b in v) if k == "betas" else v[i]) for k, v in array_hparams(name).items()}
            alone = run(factory(**scalars, **flags), starts[i], rosen_grad, 8, hess_fn=rosen_hess)
            np.testing.assert_allclose(batch[:, i], alone, rtol=1e-13, atol=1e-14, err_msg=f"{name} {flags} row {i}")


@pytest.mark.parametrize("name", list(REGISTRY))
def test_one_start_with_hyperparameter_grid_broadcasts(name):
    """params (2,) with (N, 1) hyperparameters give an (N, 2) batch, like the phase diagram needs."""
    factory = REGISTRY[name].factory
    arrays = {k: (tuple(_column(b) for b in v) if k == "betas" else _column(v))
              for k, v in array_hparams(name).items()}
    path = run(factory(**arrays), [-1.2, 1.0], rosen_grad, 3, lr=arrays["lr"], hess_fn=rosen_hess)
    assert path[-1].shape == (3, 2) and np.all(np.isfinite(path[-1]))


# ---------------------------------------------------------------- torch itself
TORCH_CASES = sorted(k for k, v in CASES.items() if v[0] != "newton")  # Newton has no torch.optim twin


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch_over_50_steps_on_rosenbrock(case):
    torch = pytest.importorskip("torch")
    start = np.array([-1.2, 1.0])
    ours = run(effective(case)[0], start, rosen_grad, 50)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_torch(torch, case, [p])
    theirs = [start]
    for _ in range(50):
        # the same analytic gradient at torch's own iterate, so only the update rules are compared
        p.grad = torch.from_numpy(rosen_grad(p.detach().numpy().copy()))
        opt.step()
        theirs.append(p.detach().numpy().copy())
    assert np.all(np.isfinite(ours)) and np.abs(ours).max() < 10
    assert np.abs(ours[-1] - start).max() > 1e-3  # it actually moved
    np.testing.assert_allclose(ours, np.array(theirs), rtol=0, atol=1e-12)


def test_matches_torch_with_a_schedule():
    """The scheduled lr feeds AdamW's decay and Adagrad's internal decay exactly as in torch."""
    torch = pytest.importorskip("torch")
    from engine.schedules import make_schedule
    schedule = make_schedule("step", {"step_size": 7, "gamma": 0.5})
    for name, hp, make_torch in [
        ("adamw", {"lr": 0.1, "weight_decay": 0.3}, lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.3)),
        ("adagrad", {"lr": 0.1, "lr_decay": 0.2}, lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.2)),
        ("momentum", {"lr": 0.005}, lambda p: torch.optim.SGD(p, lr=0.005, momentum=0.9)),
    ]:
        opt = make_optimizer(name, hp)
        lrs = schedule.lrs(hp["lr"], 30)
        x = np.array([-1.2, 1.0])
        state = opt.init(x)
        p = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        topt = make_torch([p])
        sched = torch.optim.lr_scheduler.StepLR(topt, step_size=7, gamma=0.5)
        for t in range(30):
            x, state = opt.update(rosen_grad(x), state, x, lrs[t])
            p.grad = torch.from_numpy(rosen_grad(p.detach().numpy().copy()))
            topt.step()
            sched.step()
            np.testing.assert_allclose(x, p.detach().numpy(), rtol=0, atol=1e-12, err_msg=f"{name} t={t}")


# ---------------------------------------------------------------- registry and validation
CONTRACT_DEFAULTS = {
    "gd": {"lr": 0.01, "weight_decay": 0.0},
    "momentum": {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0},
    "nesterov": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "adagrad": {"lr": 0.01, "lr_decay": 0.0, "eps": 1e-10, "initial_accumulator_value": 0.0, "weight_decay": 0.0},
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False, "weight_decay": 0.0},
    "adam": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "weight_decay": 0.0},
    "adamw": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    "newton": {"lr": 1.0, "damping": 0.0},
}


def test_registry_order_and_defaults():
    assert list(REGISTRY)[:9] == ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw",
                                  "adadelta", "newton"]
    for name, defaults in CONTRACT_DEFAULTS.items():  # the contract's nine; newer ones test their own
        info = REGISTRY[name]
        assert info.params[0].name == "lr"
        opt = make_optimizer(name)
        assert opt.name == name
        assert {k: opt.hparams[k] for k in defaults} == defaults, name
        # the table lists exactly the effective hyperparameters
        assert [p.name for p in info.params] == list(defaults)
        assert info.rule and info.torch and info.title
    assert REGISTRY["newton"].factory().needs_hessian
    assert not any(REGISTRY[n].factory().needs_hessian for n in REGISTRY if n != "newton")


def test_unknown_name_lists_allowed_names():
    with pytest.raises(ValueError) as err:
        make_optimizer("conjugate_gradient")
    for name in REGISTRY:
        assert name in str(err.value)


@pytest.mark.parametrize("name, hp, word", [
    ("adam", {"momentum": 0.9}, "momentum"),
    ("adamw", {"centered": True}, "centered"),
    ("newton", {"weight_decay": 0.1}, "weight_decay"),
    ("adadelta", {"alpha": 0.9}, "alpha"),
])
def test_unknown_hyperparameter(name, hp, word):
    with pytest.raises(ValueError, match=word):
        make_optimizer(name, hp)


@pytest.mark.parametrize("name, hp, word", [
    ("adam", {"lr": 0.0}, "lr"),
    ("adagrad", {"lr": -0.1}, "lr"),
    ("adam", {"betas": [0.9, 1.0]}, "betas"),
    ("adamw", {"betas": [0.9]}, "betas"),
    ("adam", {"amsgrad": "yes"}, "amsgrad"),
    ("rmsprop", {"alpha": 1.5}, "alpha"),
    ("rmsprop", {"momentum": -0.1}, "momentum"),
    ("rmsprop", {"centered": 1}, "centered"),
    ("adagrad", {"lr_decay": -1.0}, "lr_decay"),
    ("adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("adadelta", {"rho": 1.1}, "rho"),
    ("adadelta", {"eps": float("nan")}, "eps"),
    ("adamw", {"weight_decay": -0.01}, "weight_decay"),
    ("newton", {"damping": -1.0}, "damping"),
    ("momentum", {"dampening": 2.0}, "dampening"),
])
def test_out_of_range_value(name, hp, word):
    with pytest.raises(ValueError, match=word):
        make_optimizer(name, hp)
