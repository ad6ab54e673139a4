"""/api/basins, /api/phase, /api/tune: shapes, agreement with /api/run, determinism and limits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from api_helpers import strict_json

from app.main import create_app
from app.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

QUAD = {"name": "quadratic", "params": {"kappa": 10, "theta": 30}}


def post(client, path, body, status=200):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return strict_json(response.content)  # never NaN or Infinity


def single_run(client, surface, start, steps, optimizer):
    body = {"surface": surface, "start": start, "steps": steps, "optimizers": [optimizer]}
    return post(client, "/api/run", body)["runs"][0]


# ---- basins -------------------------------------------------------------------------------------

def test_basins_quadratic_stable_and_unstable(client):
    body = {"surface": QUAD, "optimizer": {"name": "gd", "lr": 0.15}, "steps": 200, "n": 6}
    out = post(client, "/api/basins", body)
    assert out["label"] == [[0] * 6] * 6 and out["counts"] == {"-2": 0, "-1": 0, "0": 36}
    assert all(isinstance(v, int) for row in out["steps_to_converge"] for v in row)
    assert out["minima"] == [{"x": 0.0, "y": 0.0, "f": 0.0}] and out["n"] == 6 and out["tol"] == 1e-6
    assert out["domain"] == {"x": [-5.0, 5.0], "y": [-5.0, 5.0]} and out["x"] == pytest.approx(np.linspace(-5, 5, 6))
    body["optimizer"]["lr"] = 0.25  # > 2/λmax = 0.2
    out = post(client, "/api/basins", body)
    assert out["label"] == [[-1] * 6] * 6 and out["counts"]["-1"] == 36
    assert out["steps_to_converge"] == [[None] * 6] * 6


def test_basins_layout_and_labels_match_single_runs(client):
    surface = {"name": "himmelblau"}
    opt = {"name": "gd", "lr": 0.005}
    body = {"surface": surface, "optimizer": opt, "steps": 300, "n": 7,
            "domain": {"x": [-1.0, 5.0], "y": [-5.0, 4.0]}}  # asymmetric: a transposed layout would show
    out = post(client, "/api/basins", body)
    assert len(out["label"]) == 7 and all(len(row) == 7 for row in out["label"])
    assert out["y"][0] == -5.0 and out["x"][-1] == 5.0
    minima = np.array([[m["x"], m["y"]] for m in out["minima"]])
    assert sorted(out["counts"]) == ["-1", "-2", "0", "1", "2", "3"]
    assert sum(out["counts"].values()) == 49
    for i, j in [(0, 0), (0, 6), (6, 0), (3, 5), (5, 2)]:
        run = single_run(client, surface, [out["x"][j], out["y"][i]], 300, opt)
        nearest = int(np.argmin(np.linalg.norm(minima - run["path"][-1], axis=-1)))
        assert out["label"][i][j] == (nearest if run["status"] == "converged" else -2)
        if run["status"] == "converged":
            assert out["steps_to_converge"][i][j] == int(np.argmax(np.array(run["grad_norm"]) < 1e-6))


def test_basins_limits(client):
    base = {"surface": QUAD, "optimizer": {"name": "gd"}}
    detail = post(client, "/api/basins", {**base, "n": 302}, 422)["detail"]
    assert detail[0]["loc"][-1] == "n"
    detail = post(client, "/api/basins", {**base, "n": 301, "steps": 20000}, 422)["detail"]
    assert "too much work" in detail[0]["msg"] and "limit" in detail[0]["msg"]
    post(client, "/api/basins", {**base, "n": 5, "radius": 0}, 422)
    post(client, "/api/basins", {**base, "n": 5, "optimizer": {"name": "sgdx"}}, 422)


# ---- phase ------------------------------------------------------------------------------------

PHASE = {"surface": QUAD, "start": [-4.0, 2.0], "optimizer": {"name": "momentum"}, "steps": 150,
         "axes": {"lr": {"min": 0.01, "max": 1.0, "n": 9, "log": True}, "momentum": {"min": 0.0, "max": 0.9, "n": 5}}}


def test_phase_cells_agree_with_single_runs(client):
    out = post(client, "/api/phase", PHASE)
    assert [a["name"] for a in out["axes"]] == ["lr", "momentum"]
    assert len(out["x"]) == 9 and len(out["y"]) == 5
    assert np.array(out["final_loss"], dtype=object).shape == (5, 9)
    assert any(v for row in out["diverged"] for v in row) and not all(v for row in out["diverged"] for v in row)
    for i, j in [(0, 0), (2, 4), (4, 8), (1, 6), (3, 5), (4, 2)]:
        run = single_run(client, QUAD, [-4.0, 2.0], 150,
                         {"name": "momentum", "lr": out["x"][j], "momentum": out["y"][i]})
        assert out["diverged"][i][j] == (run["status"] == "diverged")
        if run["status"] == "diverged":
            assert out["final_loss"][i][j] is None and out["steps_to_converge"][i][j] is None
        else:
            assert out["final_loss"][i][j] == pytest.approx(run["loss"][-1], rel=1e-9, abs=0)
    theory = out["theory"]
    assert theory["lambda_max"] == pytest.approx(10.0) and len(theory["predicted_rate"]) == 5
    assert theory["optimum"]["lr"] == pytest.approx(4 / (np.sqrt(10) + 1) ** 2)
    curve = theory["boundary"][0]
    assert curve["x"][0] == pytest.approx(0.2) and curve["x"][-1] == pytest.approx(2 * 1.9 / 10)


def test_phase_without_theory_and_with_pair_axes(client):
    body = {"surface": {"name": "himmelblau"}, "start": [0.0, 0.0], "optimizer": {"name": "adam", "lr": 0.05},
            "steps": 50, "axes": {"beta2": {"min": 0.9, "max": 0.999, "n": 3},
                                  "beta1": {"min": 0.0, "max": 0.9, "n": 2}}}
    out = post(client, "/api/phase", body)
    assert out["theory"] is None and out["optimizer"]["lr"] == 0.05
    assert "betas" not in out["optimizer"] and len(out["final_loss"]) == 2 and len(out["final_loss"][0]) == 3


def test_phase_422s(client):
    def axes(**named):
        return {**PHASE, "axes": named}

    lr = {"min": 0.01, "max": 1.0, "n": 5, "log": True}
    msg = post(client, "/api/phase", axes(lr=lr, betas={"min": 0, "max": 0.9}), 422)["detail"][0]["msg"]
    assert "betas" in msg and "allowed: lr, momentum, dampening, weight_decay" in msg
    msg = post(client, "/api/phase", {**axes(lr=lr, beta1={"min": 0, "max": 0.9}),
                                      "optimizer": {"name": "gd"}}, 422)["detail"][0]["msg"]
    assert "allowed: lr, weight_decay" in msg
    post(client, "/api/phase", axes(lr=lr), 422)  # one axis
    post(client, "/api/phase", axes(lr=lr, momentum={"min": 0, "max": 0.9}, dampening={"min": 0, "max": 1}), 422)
    detail = post(client, "/api/phase", axes(lr={**lr, "n": 102}, momentum={"min": 0, "max": 0.9}), 422)["detail"]
    assert detail[0]["loc"][-1] == "n"
    post(client, "/api/phase", axes(lr={**lr, "min": 2.0, "max": 1.0}, momentum={"min": 0, "max": 0.9}), 422)
    post(client, "/api/phase", axes(lr={**lr, "min": 0.0}, momentum={"min": 0, "max": 0.9}), 422)
    big = axes(lr={**lr, "n": 101}, momentum={"min": 0, "max": 0.9, "n": 101})
    assert "too much work" in post(client, "/api/phase", {**big, "steps": 20000}, 422)["detail"][0]["msg"]


# ---- tune -------------------------------------------------------------------------------------

TUNE = {"surface": QUAD, "start": [-4.0, 2.0], "steps": 80, "budget": 6, "lr_range": {"min": 1e-3, "max": 1.0},
        "optimizers": [{"name": "gd"}, {"name": "momentum", "momentum": 0.5, "label": "HB"}, {"name": "adam"}]}


def test_tune_grid_is_deterministic_and_uses_exactly_the_budget(client):
    first = client.post("/api/tune", json=TUNE)
    second = client.post("/api/tune", json=TUNE)
    assert first.status_code == 200 and first.content == second.content
    out = strict_json(first.content)
    assert [r["optimizer"]["name"] for r in out["results"]] == ["gd", "momentum", "adam"]
    for result in out["results"]:
        trials = result["trials"]
        assert result["trials_used"] == 6 == len(trials["lr"]) and result["trial_steps"] == 6 * 80
        assert trials["lr"] == pytest.approx(np.geomspace(1e-3, 1.0, 6), rel=1e-15)
        losses = [np.inf if d else v for v, d in zip(trials["final_loss"], trials["diverged"], strict=True)]
        assert all(v is None for v, d in zip(trials["final_loss"], trials["diverged"], strict=True) if d)
        assert result["best_lr"] == trials["lr"][int(np.argmin(losses))]
        assert result["optimizer"]["lr"] == result["best_lr"]
        # its run is exactly what /api/run returns for the tuned optimizer
        spec = {k: v for k, v in result["optimizer"].items() if k in ("name", "label", "lr", "momentum")}
        run = single_run(client, QUAD, [-4.0, 2.0], 80, spec)
        assert result["run"]["path"] == run["path"] and result["run"]["status"] == run["status"]
        assert result["best_loss"] == pytest.approx(run["loss"][-1], rel=1e-12)
    assert out["results"][1]["optimizer"]["label"] == "HB"


def test_tune_halving_respects_the_budget(client):
    out = post(client, "/api/tune", {**TUNE, "method": "halving", "budget": 4, "steps": 64})
    for result in out["results"]:
        trials = result["trials"]
        assert result["trial_steps"] == sum(trials["steps"]) <= 4 * 64
        assert result["trials_used"] == len(trials["lr"]) and result["candidates"] >= 4
        assert max(trials["steps"]) == 64 and trials["rung"][0] == 0


def test_tune_422s(client):
    post(client, "/api/tune", {**TUNE, "budget": 65}, 422)
    post(client, "/api/tune", {**TUNE, "budget": 1}, 422)
    post(client, "/api/tune", {**TUNE, "lr_range": {"min": 0.5, "max": 0.1}}, 422)
    post(client, "/api/tune", {**TUNE, "method": "random"}, 422)
    post(client, "/api/tune", {**TUNE, "optimizers": [{"name": "gd"}] * 13}, 422)


def test_work_limit_comes_from_settings():
    small = TestClient(create_app(Settings(max_batch_work=1000, max_basin_n=8, max_phase_n=4)))
    assert post(small, "/api/basins", {"surface": QUAD, "optimizer": {"name": "gd"}, "n": 9}, 422)
    msg = post(small, "/api/basins", {"surface": QUAD, "optimizer": {"name": "gd"}, "n": 8, "steps": 20},
               422)["detail"][0]["msg"]
    assert "64 runs × 20 steps = 1280" in msg
    post(small, "/api/basins", {"surface": QUAD, "optimizer": {"name": "gd"}, "n": 8, "steps": 15})
    post(small, "/api/phase", PHASE, 422)  # n = 9 > 4
    post(small, "/api/tune", {**TUNE, "steps": 60}, 422)  # 3 × 6 × 60 = 1080


def test_openapi_documents_the_shapes_with_examples(client):
    spec = strict_json(client.get("/openapi.json").content)
    schemas = spec["components"]["schemas"]
    for path, name in [("/api/basins", "BasinsResponse"), ("/api/phase", "PhaseResponse"),
                       ("/api/tune", "TuneResponse")]:
        op = spec["paths"][path]["post"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(name)
        assert "422" in op["responses"] and "413" in op["responses"]
        assert schemas[name]["examples"] and all("description" in schemas[name]["properties"][k]
                                                 for k in ("x", "y") if k in schemas[name]["properties"])
    assert "label[i][j]" in schemas["BasinsResponse"]["properties"]["label"]["description"]
