"""Formulas are checked cheaply during validation and compiled in a worker; every request is priced
before it runs and one over the per-request budget is a 422 that says by how much and what to lower."""

from __future__ import annotations

import pytest
from api_helpers import strict_json

from app.schemas.runs import RunRequest
from engine.surfaces import formula_compile

NESTED = "x"
for _k in range(11):
    NESTED = f"arctan({NESTED} + {_k})"


def test_validation_does_not_compile_a_formula(monkeypatch):
    def boom(*_args, **_kwargs):
        raise AssertionError("a formula was compiled during validation")

    monkeypatch.setattr(formula_compile, "_compile_text", boom)
    body = RunRequest.model_validate({"surface": {"name": "custom", "expr": NESTED + " + 0.125",
                                                  "domain": {"x": [-2, 2], "y": [0, 1]}},
                                      "optimizers": [{"name": "gd"}]})
    assert not body.surface.compiled
    assert body.start == [-2 + 0.2 * 4, 1 - 0.2 * 1]  # the default start, known without sympy
    assert not formula_compile.is_cached(NESTED + " + 0.125")


def test_a_formula_refused_when_compiling_is_a_422_at_its_column(client):
    # passes the cheap checks; sympy then sees x - x + 100, a constant exponent too large
    expr = "y**(x - x + 100)"
    for path, body in {"/api/point": {"point": [0.5, 0.5]}, "/api/grid": {"n": 5},
                       "/api/run": {"steps": 3, "optimizers": [{"name": "gd"}]}}.items():
        response = client.post(path, json={"surface": {"name": "custom", "expr": expr}, **body})
        assert response.status_code == 422, (path, response.text)
        (err,) = strict_json(response.text)["detail"]
        assert err["loc"] == ["body", "surface", "expr"] and err["msg"].startswith("column "), err
        assert err["type"] == "formula_error"


def test_a_slow_surface_is_priced_by_its_measured_cost(client):
    """12 × 20 000 steps: over budget on a slow formula (and the 422 comes before any run)."""
    body = {"surface": {"name": "custom", "expr": NESTED}, "steps": 20000,
            "optimizers": [{"name": "gd", "lr": 1e-3}] * 12}
    response = client.post("/api/run", json=body)
    assert response.status_code == 422
    (err,) = strict_json(response.text)["detail"]
    assert err["loc"] == ["body"]
    msg = err["msg"]
    assert msg.startswith("too much work: this request would take about ") and "per-request budget of 4.5 s" in msg
    assert "lower steps or the number of optimizers" in msg
    times = float(msg.split(" s of compute, ")[1].split("×")[0])
    assert times > 1
    # the same shape on a few steps is cheap and runs
    small = client.post("/api/run", json={**body, "steps": 20, "optimizers": [{"name": "gd", "lr": 1e-3}]})
    assert small.status_code == 200, small.text


@pytest.mark.parametrize(("path", "body", "lower"), [
    ("/api/tune", {"surface": {"name": "himmelblau"}, "steps": 20000, "budget": 64,
                   "optimizers": [{"name": "adam"}] * 12}, "lower budget, steps"),
    ("/api/run", {"surface": {"name": "quadratic"}, "steps": 20000, "details": False,
                  "optimizers": [{"name": "newton"}] * 12}, "lower steps"),
])
def test_over_budget_requests_are_422s_naming_the_budget(client, path, body, lower):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    (err,) = strict_json(response.text)["detail"]
    assert "max_request_seconds" in err["msg"] and lower in err["msg"], err


def test_a_built_in_surface_is_measured_once_whatever_its_parameters(client, monkeypatch):
    """A dragged κ asks for a new quadratic at every value: its price is the quadratic's, measured once
    (a measurement per value was a second trip through the workers per request)."""
    from app import cost

    measured = []
    monkeypatch.setattr(cost, "_MEASURED", cost.LRU(256))
    monkeypatch.setattr(cost, "measure", lambda surface: measured.append(surface) or cost.EvalCost(1e-6, 0, 1e-6, 0))
    for kappa in (3.0, 30.0, 300.0):
        for name, params in (("quadratic", {"kappa": kappa}), ("rosenbrock", {"b": kappa})):
            body = {"surface": {"name": name, "params": params}, "steps": 5, "optimizers": [{"name": "gd"}]}
            assert client.post("/api/run", json=body).status_code == 200
    assert [s.describe()["name"] for s in measured] == ["quadratic", "rosenbrock"]  # once each, not 3 times
    expr = {"surface": {"name": "custom", "expr": "x**2 + 3*y**2"}, "steps": 5, "optimizers": [{"name": "gd"}]}
    assert client.post("/api/run", json=expr).status_code == 200
    assert len(measured) == 3  # a formula is measured by its text
