"""POST /api/run: paths against closed forms, the run statuses, the theory block, schedules,
gradient noise and determinism.

(Named test_runs.py, not test_run.py: tests/engine/test_run.py exists, and pytest's default
import mode needs unique basenames across test directories without __init__.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from api_helpers import run_body, strict_json

START = [-4.0, 2.0]


def quadratic_hessian(kappa: float, theta_deg: float = 0.0, lam_min: float = 1.0) -> np.ndarray:
    t = np.deg2rad(theta_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return rot @ np.diag([lam_min, kappa * lam_min]) @ rot.T


def post_run(client, body: dict) -> dict:
    response = client.post("/api/run", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return strict_json(response.content)


def check_run_shape(run: dict, steps_taken: int) -> None:
    assert run["steps_taken"] == steps_taken
    assert len(run["path"]) == len(run["loss"]) == len(run["grad_norm"]) == steps_taken + 1
    assert len(run["lr"]) == len(run["path"]) - 1


def test_gd_path_equals_the_closed_form(client):
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 25, "theta": 30}},
                                     [{"name": "gd", "lr": 0.05}], start=START, steps=100))
    hess = quadratic_hessian(25, 30)
    step = np.eye(2) - 0.05 * hess
    expected = [np.linalg.matrix_power(step, t) @ START for t in range(101)]
    run = body["runs"][0]
    np.testing.assert_allclose(run["path"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run["loss"], [0.5 * p @ hess @ p for p in expected], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run["grad_norm"], [np.linalg.norm(hess @ p) for p in expected], rtol=1e-10,
                               atol=1e-12)
    assert run["lr"] == [0.05] * 100
    assert run["path"][0] == START and body["start"] == START and body["steps"] == 100
    check_run_shape(run, 100)


def test_gd_with_weight_decay_is_gd_on_h_plus_wd(client):
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 5}},
                                     [{"name": "gd", "lr": 0.1, "weight_decay": 0.5}], start=START, steps=30))
    step = np.eye(2) - 0.1 * (quadratic_hessian(5) + 0.5 * np.eye(2))
    expected = [np.linalg.matrix_power(step, t) @ START for t in range(31)]
    np.testing.assert_allclose(body["runs"][0]["path"], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_paths_follow_torch_sgd(client, nesterov):
    """torch.optim.SGD(momentum=μ): b ← μb + g; x ← x − η b (Nesterov: x ← x − η(g + μb)); b₀ = g₀."""
    name, lr, mu = ("nesterov" if nesterov else "momentum"), 0.02, 0.8
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 20, "theta": -15}},
                                     [{"name": name, "lr": lr, "momentum": mu}], start=START, steps=60))
    hess = quadratic_hessian(20, -15)
    x, buf, expected = np.array(START), None, [np.array(START)]
    for _ in range(60):
        g = hess @ x
        buf = g.copy() if buf is None else mu * buf + g
        x = x - lr * ((g + mu * buf) if nesterov else buf)
        expected.append(x)
    np.testing.assert_allclose(body["runs"][0]["path"], expected, rtol=0, atol=1e-12)


def test_newton_lands_on_the_quadratic_minimum_in_one_step(client):
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 100, "theta": 45}},
                                     [{"name": "newton"}], start=START, steps=3))
    run = body["runs"][0]
    np.testing.assert_allclose(run["path"][1:], np.zeros((3, 2)), atol=1e-12)
    assert run["status"] == "converged"


def test_statuses_converged_max_steps_diverged(client):
    """κ = 10 (θ = 0, so H = diag(1, 10)): η* = 2/11 converges (rate 9/11), η = 0.3 multiplies
    the steep coordinate by 1 − 3 = −2 each step, so f_t first exceeds the loss ceiling of
    engine.divergence, 10⁴ × the highest value in view (137.5 at the corners of [−5, 5]²), at
    t = 9, long before ‖x_t‖ would exceed 1e6 (t = 19)."""
    surface = {"name": "quadratic", "params": {"kappa": 10}}
    optimizers = [{"name": "gd", "lr": 2 / 11}, {"name": "gd", "lr": 0.3}]
    long_run = post_run(client, run_body(surface, optimizers, start=START, steps=300))
    converged, diverged = long_run["runs"]
    assert converged["status"] == "converged" and converged["grad_norm"][-1] < 1e-6
    check_run_shape(converged, 300)  # converging does not stop the run

    factors = np.array([1 - 0.3 * 1, 1 - 0.3 * 10])
    points = [factors**t * START for t in range(40)]
    assert next(t for t, p in enumerate(points) if np.linalg.norm(p) > 1e6) == 19
    first_bad = next(t for t, (x, y) in enumerate(points) if 0.5 * (x * x + 10 * y * y) > 1e4 * 137.5)
    assert first_bad == 9
    assert diverged["status"] == "diverged"
    check_run_shape(diverged, first_bad - 1)  # iterate 9 is not included; 8 updates kept
    np.testing.assert_allclose(diverged["path"], [factors**t * START for t in range(first_bad)], rtol=1e-12)
    assert max(np.linalg.norm(diverged["path"], axis=1)) <= 1e6

    short_run = post_run(client, run_body(surface, optimizers[:1], start=START, steps=20))
    assert short_run["runs"][0]["status"] == "max_steps" and short_run["runs"][0]["grad_norm"][-1] >= 1e-6
    check_run_shape(short_run["runs"][0], 20)


def test_a_non_finite_first_update_diverges_with_only_the_start_kept(client):
    """Adagrad with eps = 0 at a stationary start computes 0/0: the first iterate is NaN."""
    body = post_run(client, run_body({"name": "quadratic"}, [{"name": "adagrad", "eps": 0}], start=[0.0, 0.0],
                                     steps=10))
    run = body["runs"][0]
    assert run["status"] == "diverged" and run["path"] == [[0.0, 0.0]] and run["lr"] == []
    check_run_shape(run, 0)


def test_runs_come_back_in_request_order_with_effective_hyperparameters(client):
    optimizers = [{"name": "adam", "lr": 0.1, "label": "Adam η=0.1"}, {"name": "gd"}, {"name": "adamw"},
                  {"name": "rmsprop", "centered": True}]
    body = post_run(client, run_body({"name": "rosenbrock"}, optimizers, start=[-1.5, 2.0], steps=5))
    described = [run["optimizer"] for run in body["runs"]]
    assert [d["name"] for d in described] == ["adam", "gd", "adamw", "rmsprop"]
    assert [d["label"] for d in described] == ["Adam η=0.1", "gd", "adamw", "rmsprop"]
    assert described[0] == {"name": "adam", "label": "Adam η=0.1", "lr": 0.1, "betas": [0.9, 0.999],
                            "eps": 1e-8, "amsgrad": False, "weight_decay": 0.0}
    assert described[1]["lr"] == 0.01 and described[2]["weight_decay"] == 0.01
    assert described[3]["centered"] is True and described[3]["alpha"] == 0.99
    assert body["surface"]["name"] == "rosenbrock" and body["surface"]["params"] == {"a": 1.0, "b": 100.0}


def test_start_defaults_to_the_surface_default_start(client, surfaces_by_name):
    body = post_run(client, {"surface": {"name": "himmelblau"}, "optimizers": [{"name": "gd"}], "steps": 3})
    assert body["start"] == surfaces_by_name["himmelblau"]["default_start"] == body["runs"][0]["path"][0]


@pytest.fixture(scope="module")
def surfaces_by_name(client):
    return {s["name"]: s for s in strict_json(client.get("/api/surfaces").content)["surfaces"]}


def largest_root(b: float, c: float) -> float:
    return float(max(abs(np.roots([1.0, -b, c]))))


def test_theory_block_for_kappa_50(client):
    kappa, rk = 50.0, np.sqrt(50.0)
    optimizers = [{"name": "gd", "lr": 0.03}, {"name": "gd", "lr": 0.05},
                  {"name": "momentum", "lr": 0.01, "momentum": 0.9},
                  {"name": "nesterov", "lr": 0.01, "momentum": 0.9}, {"name": "adam", "lr": 0.3}]
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 50, "theta": 30}}, optimizers,
                                     start=START, steps=50))
    theory = body["theory"]
    expected = {
        "lambda_min": 1.0, "lambda_max": 50.0, "kappa": 50.0,
        "eta_max_stable_gd": 0.04, "eta_opt_gd": 2 / 51, "rate_opt_gd": 49 / 51,
        "momentum_opt": ((rk - 1) / (rk + 1)) ** 2, "eta_opt_momentum": 4 / (rk + 1) ** 2,
        "rate_opt_momentum": (rk - 1) / (rk + 1),
    }
    for key, value in expected.items():
        assert theory[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    rates = [run["predicted_rate"] for run in theory["runs"]]
    assert rates[0] == pytest.approx(max(abs(1 - 0.03 * 1), abs(1 - 0.03 * kappa)), rel=1e-12)  # 0.97
    assert rates[1] == pytest.approx(1.5, rel=1e-12)
    assert rates[2] == pytest.approx(max(largest_root(1 + 0.9 - 0.01 * lam, 0.9) for lam in (1, kappa)), rel=1e-9)
    assert rates[3] == pytest.approx(max(largest_root(1.9 * (1 - 0.01 * lam), 0.9 * (1 - 0.01 * lam))
                                         for lam in (1, kappa)), rel=1e-9)
    assert rates[4] is None and theory["runs"][4]["stable"] is None
    assert [run["stable"] for run in theory["runs"][:4]] == [True, False, True, True]
    assert len(theory["runs"]) == len(optimizers)


def test_theory_optimal_settings_reach_the_optimal_rates(client):
    """GD at η* = 2/(λmin+λmax) has rate (κ−1)/(κ+1); heavy ball at (η*, μ*) has √μ*."""
    surface = {"name": "quadratic", "params": {"kappa": 50, "lam_min": 2.0}}
    theory = post_run(client, run_body(surface, [{"name": "gd"}], steps=1))["theory"]
    assert theory["lambda_max"] == pytest.approx(100.0) and theory["eta_max_stable_gd"] == pytest.approx(0.02)
    optimizers = [{"name": "gd", "lr": theory["eta_opt_gd"]},
                  {"name": "momentum", "lr": theory["eta_opt_momentum"], "momentum": theory["momentum_opt"]}]
    runs = post_run(client, run_body(surface, optimizers, steps=1))["theory"]["runs"]
    assert runs[0]["predicted_rate"] == pytest.approx(theory["rate_opt_gd"], rel=1e-12)
    assert runs[1]["predicted_rate"] == pytest.approx(theory["rate_opt_momentum"], rel=1e-6)


def test_theory_is_empty_for_himmelblau(client):
    assert post_run(client, run_body({"name": "himmelblau"}, [{"name": "gd"}], steps=5))["theory"] == {}


@pytest.mark.parametrize("schedule, factor", [
    ({"name": "constant"}, lambda t: np.ones_like(t)),
    ({"name": "step", "step_size": 3, "gamma": 0.5}, lambda t: 0.5 ** np.floor(t / 3)),
    ({"name": "exponential", "gamma": 0.9}, lambda t: 0.9**t),
    ({"name": "power", "s": 4, "c": 0.5}, lambda t: (1 + t / 4) ** -0.5),
    ({"name": "cosine", "t_max": 10, "eta_min": 0.01},  # eta_min is absolute: factor = lr_t / 0.1
     lambda t: (0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * t / 10)) / 2) / 0.1),
    ({"name": "linear", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 8},
     lambda t: 0.25 + 0.75 * np.minimum(t, 8) / 8),
])
def test_schedules_set_lr_t_and_the_path_uses_it(client, schedule, factor):
    body = post_run(client, run_body({"name": "quadratic", "params": {"kappa": 4}}, [{"name": "gd", "lr": 0.1}],
                                     start=START, steps=25, schedule=schedule))
    run = body["runs"][0]
    lrs = 0.1 * factor(np.arange(25.0))
    np.testing.assert_allclose(run["lr"], lrs, rtol=1e-12, atol=1e-15)
    hess, x, expected = quadratic_hessian(4), np.array(START), [np.array(START)]
    for lr_t in lrs:  # lr[t] is used by update t+1, the one producing path[t+1]
        x = x - lr_t * hess @ x
        expected.append(x)
    np.testing.assert_allclose(run["path"], expected, rtol=0, atol=1e-12)
    assert body["schedule"]["name"] == schedule["name"]


NOISY = {"surface": {"name": "quadratic", "params": {"kappa": 10}}, "start": START, "steps": 40,
         "optimizers": [{"name": "gd", "lr": 0.05}, {"name": "gd", "lr": 0.05}, {"name": "adam", "lr": 0.1}]}


def noisy(sigma: float, seed: int) -> dict:
    return {**NOISY, "noise": {"sigma": sigma, "seed": seed}}


def test_noise_same_seed_same_bytes_and_shared_by_all_optimizers(client):
    first = client.post("/api/run", json=noisy(0.5, 7))
    second = client.post("/api/run", json=noisy(0.5, 7))
    assert first.status_code == 200 and first.content == second.content
    runs = strict_json(first.content)["runs"]
    assert runs[0]["path"] == runs[1]["path"]  # two identical specs see the same ξ sequence
    clean = post_run(client, noisy(0.0, 7))["runs"]
    assert runs[0]["path"] != clean[0]["path"] and runs[2]["path"] != clean[2]["path"]


def test_noise_different_seed_gives_a_different_path(client):
    a = post_run(client, noisy(0.5, 7))["runs"][0]["path"]
    b = post_run(client, noisy(0.5, 8))["runs"][0]["path"]
    assert a[0] == b[0] and a[1:] != b[1:]


def test_gd_noise_enters_linearly_in_sigma(client):
    """GD is affine in the gradient noise: x_t(2σ) − x_t(0) = 2·(x_t(σ) − x_t(0)) for the same ξ."""
    clean, one, two = (np.array(post_run(client, noisy(s, 3))["runs"][0]["path"]) for s in (0.0, 0.25, 0.5))
    assert np.abs(one - clean).max() > 1e-3
    np.testing.assert_allclose(two - clean, 2 * (one - clean), rtol=0, atol=1e-11)


def test_same_request_same_bytes(client):
    body = {**noisy(0.3, 11), "schedule": {"name": "step", "step_size": 5, "gamma": 0.7}}
    assert client.post("/api/run", json=body).content == client.post("/api/run", json=body).content


def test_a_diverging_run_body_is_strict_json(client):
    response = client.post("/api/run", json=run_body({"name": "rosenbrock"}, [{"name": "gd", "lr": 0.01}],
                                                     start=[-1.5, 2.0], steps=200))
    run = strict_json(response.text)["runs"][0]  # strict_json raises on NaN/Infinity
    assert run["status"] == "diverged" and run["steps_taken"] < 200
    assert all(np.isfinite(run["loss"])) and all(np.isfinite(run["grad_norm"]))
