"""Per-update anatomy (engine/details.py, `details: true` on /api/run): every row is checked
against the optimizer's rule recomputed by hand, and against the path the runner produced."""


import numpy as np
import pytest
from starlette.testclient import TestClient

from app.main import app
from engine.details import MAX_DETAIL_STEPS, run_details
from engine.optimizers import REGISTRY, make_optimizer
from engine.run import Noise, run_many
from engine.schedules import make_schedule
from engine.surfaces import make_surface

HIMMELBLAU = make_surface("himmelblau")  # curved: gradients at different points really differ
START = [0.5, -1.0]
LR = {"gd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.3, "rmsprop": 0.02, "adam": 0.1,
      "adamw": 0.1, "adadelta": 1.0, "newton": 0.5}
NO_STEP_SIZE = ("newton", "lbfgs")  # a matrix-scaled or line-searched step: no per-coordinate step size
ROW_KEYS = ("grad", "gd_step", "update", "momentum", "velocity", "effective_lr", "textbook_point")


def replay(name, hparams=None, steps=40, surface=HIMMELBLAU, start=START, schedule=None, noise=None):
    opt = make_optimizer(name, {"lr": lr_of(name), **(hparams or {})})
    (res,) = run_many(surface, [opt], start, steps, schedule, noise)
    draws = noise.draws(steps, 2) if noise else None
    return res, run_details(surface, opt, res.path, res.lr, draws)


def test_registry_is_covered():
    """Newer optimizers replay at lr 0.01 (lr_of); the table only tunes the first nine."""
    assert set(LR) <= set(REGISTRY)


def lr_of(name):
    return LR.get(name, 0.01)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_updates_add_up_to_the_path(name):
    res, det = replay(name, noise=Noise(0.5, 3))
    k = res.steps_taken
    assert k == 40 and det["steps"] == k
    for key in ("grad", "gd_step", "update"):
        assert det[key].shape == (k, 2)
    # the replay takes exactly the runner's steps, so each update is the path's difference ...
    np.testing.assert_array_equal(det["update"], np.diff(res.path, axis=0))
    # ... and the arrows, laid end to end from the start, trace the path
    np.testing.assert_allclose(res.path[0] + np.cumsum(det["update"], axis=0), res.path[1:], rtol=0, atol=1e-12)
    # the gradient used includes the request's noise draw
    noise = Noise(0.5, 3).draws(40, 2)
    np.testing.assert_array_equal(det["grad"], HIMMELBLAU.grad(res.path[:-1]) + noise)
    np.testing.assert_allclose(det["gd_step"], -lr_of(name) * det["grad"], rtol=1e-15)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov"])
def test_sgd_family_effective_lr_is_the_scheduled_lr(name):
    schedule = make_schedule("step", {"step_size": 10, "gamma": 0.5})
    res, det = replay(name, schedule=schedule)
    np.testing.assert_array_equal(det["effective_lr"], np.repeat(res.lr[:, None], 2, axis=1))
    np.testing.assert_allclose(det["effective_lr"] * det["grad"], -det["gd_step"], rtol=1e-15)


def test_gd_update_is_the_gd_step_and_has_no_velocity():
    _, det = replay("gd")
    np.testing.assert_allclose(det["update"], det["gd_step"], rtol=1e-9, atol=1e-15)
    assert det["momentum"] is None and det["velocity"] is None and det["textbook_point"] is None


def test_heavy_ball_momentum_part_is_minus_eta_mu_previous_velocity():
    mu, eta = 0.9, LR["momentum"]
    res, det = replay("momentum", {"momentum": mu})
    b = det["velocity"]
    prev = np.vstack([np.zeros(2), b[:-1]])  # b_{-1} = 0
    np.testing.assert_allclose(det["momentum"], -eta * mu * prev, rtol=1e-9, atol=1e-15)
    # the buffer is torch's: b_t = μ b_{t−1} + g_t
    np.testing.assert_allclose(b, mu * prev + det["grad"], rtol=1e-12, atol=1e-15)
    # with a constant η this is Bishop's Δw_t = −η g_t + μ Δw_{t−1} (7.31)
    prev_update = np.vstack([np.zeros(2), det["update"][:-1]])
    np.testing.assert_allclose(det["update"], -eta * det["grad"] + mu * prev_update, rtol=1e-9, atol=1e-14)
    assert det["textbook_point"] is None
    np.testing.assert_array_equal(det["state"]["buf"], b)
    assert res.status == "max_steps"


def test_nesterov_textbook_point_follows_bishops_look_ahead_sequence():
    """Bishop 7.34 by hand: Δw_t = −η ∇E(w_t + μΔw_{t−1}) + μΔw_{t−1}, w_{t+1} = w_t + Δw_t.
    torch's iterate x_t is the look-ahead point w_t + μΔw_{t−1}."""
    mu, eta, steps = 0.9, LR["nesterov"], 60
    res, det = replay("nesterov", {"momentum": mu}, steps=steps)
    w, delta = np.array(START), np.zeros(2)
    textbook, look_ahead = [], []
    for _ in range(steps):
        ahead = w + mu * delta
        textbook.append(w.copy())
        look_ahead.append(ahead)
        delta = -eta * HIMMELBLAU.grad(ahead) + mu * delta
        w = w + delta
    np.testing.assert_allclose(det["textbook_point"], textbook, rtol=0, atol=1e-11)
    np.testing.assert_allclose(res.path[:-1], look_ahead, rtol=0, atol=1e-11)
    # the two sequences are different points: the shift is the momentum term
    assert np.max(np.linalg.norm(det["textbook_point"] - res.path[:-1], axis=1)) > 1e-2
    # torch's momentum part is −η μ b_t (the new buffer), not b_{t−1}
    np.testing.assert_allclose(det["momentum"], -eta * mu * det["velocity"], rtol=1e-9, atol=1e-15)


def test_adam_effective_lr_and_update_by_hand():
    """eps = 1e-3 and betas = (0.8, 0.95) make ε's place and the bias corrections visible."""
    eta, (b1, b2), eps = LR["adam"], (0.8, 0.95), 1e-3
    res, det = replay("adam", {"betas": [b1, b2], "eps": eps}, steps=3)
    m, v = np.zeros(2), np.zeros(2)
    for t in range(1, 4):
        g = HIMMELBLAU.grad(res.path[t - 1])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        eff = eta / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(det["effective_lr"][t - 1], eff, rtol=1e-12)
        np.testing.assert_allclose(det["update"][t - 1], -eff * m_hat, rtol=1e-9)
        np.testing.assert_allclose(det["state"]["m"][t - 1], m, rtol=1e-12)
        np.testing.assert_allclose(det["state"]["v"][t - 1], v, rtol=1e-12)
    # the first step is sign-like: each coordinate moves η·|g|/(|g| + ε) ≈ η
    np.testing.assert_allclose(np.abs(det["update"][0]), eta, rtol=1e-3)
    assert det["momentum"] is None and det["velocity"] is None and det["textbook_point"] is None


@pytest.mark.parametrize("name", ["rmsprop", "adagrad", "adadelta"])
def test_adaptive_without_momentum_update_is_effective_lr_times_gradient(name):
    _, det = replay(name)
    np.testing.assert_allclose(det["update"], -det["effective_lr"] * det["grad"], rtol=1e-9, atol=1e-15)
    assert det["momentum"] is None and det["velocity"] is None and det["textbook_point"] is None


def test_rmsprop_with_momentum_reports_its_velocity():
    _, det = replay("rmsprop", {"momentum": 0.5})
    b = det["velocity"]
    prev = np.vstack([np.zeros(2), b[:-1]])
    # b_t = μ b_{t−1} + g_t/(√r_t + ε) and x moves by −η b_t
    np.testing.assert_allclose(b, 0.5 * prev + det["effective_lr"] / LR["rmsprop"] * det["grad"], rtol=1e-9)
    np.testing.assert_allclose(det["update"], -LR["rmsprop"] * b, rtol=1e-9, atol=1e-15)


def test_adagrad_effective_lr_by_hand_shrinks_like_one_over_root_t():
    res, det = replay("adagrad", steps=30, surface=make_surface("quadratic", {"kappa": 10, "theta": 30}),
                      start=[-4.0, 2.0])
    g = make_surface("quadratic", {"kappa": 10, "theta": 30}).grad(res.path[:-1])
    expected = LR["adagrad"] / (np.sqrt(np.cumsum(g * g, axis=0)) + 1e-10)
    np.testing.assert_allclose(det["effective_lr"], expected, rtol=1e-12)
    assert np.all(np.diff(det["effective_lr"], axis=0) < 0)


def test_rmsprop_effective_lr_by_hand():
    alpha, eta = 0.9, LR["rmsprop"]
    res, det = replay("rmsprop", {"alpha": alpha}, steps=5)
    r = np.zeros(2)
    for t in range(5):
        g = HIMMELBLAU.grad(res.path[t])
        r = alpha * r + (1 - alpha) * g * g
        np.testing.assert_allclose(det["effective_lr"][t], eta / (np.sqrt(r) + 1e-8), rtol=1e-12)


def test_newton_has_no_per_coordinate_lr_but_its_update_adds_up():
    _, det = replay("newton", {"lr": 1.0}, surface=make_surface("saddle"), start=[-2.0, 1.5], steps=3)
    np.testing.assert_allclose(det["update"][0], [2.0, -1.5], atol=1e-15)  # straight to the saddle
    assert det["effective_lr"] is None and det["state"] == {}


def test_details_are_capped():
    opt = make_optimizer("gd", {"lr": 1e-4})
    (res,) = run_many(make_surface("quadratic"), [opt], [-4.0, 2.0], MAX_DETAIL_STEPS + 10)
    det = run_details(make_surface("quadratic"), opt, res.path, res.lr)
    assert det["steps"] == MAX_DETAIL_STEPS and det["update"].shape == (MAX_DETAIL_STEPS, 2)


# ---- through the API -----------------------------------------------------------------

def post(body):
    # TestClient runs the app in its own thread's event loop, so this works even when another
    # test (Playwright's sync API) has left an event loop running in the main thread
    with TestClient(app) as client:
        return client.post("/api/run", json=body)


@pytest.mark.parametrize("part", [0, 1])
def test_api_returns_details_for_every_optimizer_with_steps_taken_rows(part):
    names = sorted(REGISTRY)[part::2]  # two requests: at most 12 optimizers each
    body = {"surface": {"name": "quadratic", "params": {"kappa": 10, "theta": 30}}, "start": [-4.0, 2.0],
            "steps": 25, "optimizers": [{"name": n, "lr": lr_of(n)} for n in names] + [{"name": "gd", "lr": 0.3}],
            "noise": {"sigma": 0.1, "seed": 1}, "details": True}
    resp = post(body)
    assert resp.status_code == 200
    runs = resp.json()["runs"]
    assert runs[-1]["status"] == "diverged" and runs[-1]["steps_taken"] < 25  # 1 − 0.3·10 = −2 per step
    for run in runs:
        det, k = run["details"], run["steps_taken"]
        assert det["steps"] == k
        for key in ("grad", "gd_step", "update"):
            assert np.shape(det[key]) == (k, 2)
        path = np.array(run["path"])
        np.testing.assert_allclose(path[0] + np.cumsum(det["update"], axis=0), path[1:], rtol=0, atol=1e-9)
        name = run["optimizer"]["name"]
        assert (det["momentum"] is not None) == (name in ("momentum", "nesterov"))
        assert (det["textbook_point"] is not None) == (name == "nesterov")
        assert (det["effective_lr"] is None) == (name in NO_STEP_SIZE)
        if det["effective_lr"] is not None:
            assert np.shape(det["effective_lr"]) == (k, 2)
    by_name = {run["optimizer"]["name"]: run["details"] for run in runs[:-1]}
    if "adam" in by_name:
        assert set(by_name["adam"]["state"]) >= {"m", "v"} and np.shape(by_name["adam"]["state"]["v"]) == (25, 2)


def test_api_without_details_has_none():
    body = {"surface": {"name": "saddle"}, "steps": 5, "optimizers": [{"name": "gd"}]}
    assert post(body).json()["runs"][0].get("details") is None


def test_api_rejects_details_over_the_step_limit():
    body = {"surface": {"name": "saddle"}, "steps": MAX_DETAIL_STEPS + 1, "optimizers": [{"name": "gd"}],
            "details": True}
    resp = post(body)
    assert resp.status_code == 422
    assert str(MAX_DETAIL_STEPS) in resp.text and "details" in resp.text
    assert post({**body, "steps": MAX_DETAIL_STEPS}).status_code == 200
    assert post({**body, "details": False}).status_code == 200


def test_api_details_for_an_invalid_start_are_empty_not_a_500():
    body = {"surface": {"name": "quadratic"}, "start": [1e6, 1e6], "steps": 5, "optimizers": [{"name": "adam"}],
            "details": True}
    resp = post(body)
    assert resp.status_code == 200
    run = resp.json()["runs"][0]
    assert run["status"] == "diverged" and run["steps_taken"] == 0 and run["path"] == []
    assert run["details"]["steps"] == 0 and run["details"]["update"] is None
