"""/api/run's theory block and /api/phase use one stability threshold (engine.theory), issue 18."""

import numpy as np
import pytest

from tests.app.api_helpers import run_body

QUAD = {"name": "quadratic", "params": {"kappa": 10.0, "theta": 0.0, "lam_min": 1.0}}


def run_theory(client, surface, optimizer):
    resp = client.post("/api/run", json=run_body(surface, [optimizer], start=[1.0, 1.0], steps=5))
    assert resp.status_code == 200, resp.text
    return resp.json()["theory"]


def test_phase_cells_and_run_theory_agree_on_stability_with_dampening(client):
    """momentum's μ axis includes μ = 0, where dampening has no effect; the boundary and every
    cell's predicted rate equal the run's theory block."""
    body = {"surface": QUAD, "start": [-4.0, 2.0], "steps": 20,
            "optimizer": {"name": "momentum", "dampening": 0.5, "weight_decay": 0.5},
            "axes": {"lr": {"min": 0.05, "max": 1.0, "n": 5, "log": True},
                     "momentum": {"min": 0.0, "max": 0.8, "n": 3}}}
    resp = client.post("/api/phase", json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    th = out["theory"]
    for i, mu in enumerate(out["y"]):
        for j, lr in enumerate(out["x"]):
            run = run_theory(client, QUAD, {"name": "momentum", "lr": lr, "momentum": mu,
                                            "dampening": 0.5, "weight_decay": 0.5})["runs"][0]
            assert th["predicted_rate"][i][j] == pytest.approx(run["predicted_rate"], rel=1e-12)
            assert th["predicted_stable"][i][j] is run["stable"]
    curve = th["boundary"][0]
    # μ = 0: GD's 2/(λmax + wd); μ = 0.8: 2(1.8)/(0.5·10.5)
    assert curve["x"][0] == pytest.approx(2 / 10.5)
    assert curve["x"][-1] == pytest.approx(3.6 / (0.5 * 10.5))
    assert run_theory(client, QUAD, {"name": "momentum", "momentum": 0.8, "dampening": 0.5,
                                     "weight_decay": 0.5})["runs"][0]["eta_max_stable"] == pytest.approx(curve["x"][-1])


def test_saddle_is_a_constant_hessian_surface_with_no_stable_eta(client):
    saddle = next(s for s in client.get("/api/surfaces").json()["surfaces"] if s["name"] == "saddle")
    assert saddle["constant_hessian"] is True
    th = run_theory(client, {"name": "saddle"}, {"name": "nesterov", "lr": 0.1})
    assert th["eta_max_stable_gd"] is None and th["curvature"] == "indefinite"
    run = th["runs"][0]
    assert run["stable"] is False and run["eta_max_stable"] is None and "indefinite" in run["stability_note"]
    assert run["predicted_rate"] > 1


def test_tiny_curvature_formula_is_positive_definite(client):
    surface = {"name": "custom", "expr": "x**2 + 1e-10*y**2", "domain": {"x": [-2, 2], "y": [-2, 2]}}
    point = client.post("/api/point", json={"surface": surface, "point": [1.0, 1.0]}).json()
    assert point["curvature"] == "positive_definite"
    th = run_theory(client, surface, {"name": "gd", "lr": 0.5})
    assert th["kappa"] == pytest.approx(1e10) and th["eta_max_stable_gd"] == pytest.approx(1.0)
    assert th["runs"][0]["stable"] is True
    assert th["runs"][0]["predicted_rate"] == pytest.approx(1 - 1e-10, abs=1e-15)
    assert np.isfinite(th["runs"][0]["optimal"]["lr"])
