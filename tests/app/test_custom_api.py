"""Custom (user-typed) surfaces through the API: hostile formulas are 422s naming the column and
never run anything; valid ones get exact geometry, null-safe grids, diverged runs, theory and basins."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from api_helpers import strict_json

H = 1e-5  # central-difference step (the check, never the method)
SADDLE_SIN = "x**2 + 10*y**2 - 0.5*sin(3*x*y)"

# (formula, 1-based column of the culprit): a dozen of the engine's hostile corpus
HOSTILE = [
    ("__import__('os').system('id')", 1),
    ("x.real", 2),
    ("(lambda q: q)(x)", 2),
    ("lambda: x", 1),
    ("[x for x in (1, 2)]", 1),
    ("f'{x}'", 1),
    ("(x:=2)*x", 2),
    ("9**9**9", 4),
    ("(x+1)**100000", 8),
    ("(" * 40 + "x" + ")" * 40, 31),
    ("x" * 600, 501),
    ("x**2 + \u0445", 8),  # Cyrillic ha, looks like x
    ("\uff58**2", 1),  # full-width x
    ("x^2", 2),
    ("x**2 + __import__('os')", 8),
    ("open('/etc/passwd')", 1),
    ("x[0]", 1),
]


def custom(expr: str, x=(-5.0, 5.0), y=(-5.0, 5.0)) -> dict:
    return {"name": "custom", "expr": expr, "domain": {"x": list(x), "y": list(y)}}


def post(client, path: str, body: dict, status: int = 200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return strict_json(r.text)


@pytest.fixture
def no_exec(monkeypatch):
    """Anything that would run a command fails the test instead."""
    def boom(*args, **kwargs):
        raise AssertionError(f"a formula tried to run something: {args!r}")
    monkeypatch.setattr(os, "system", boom)
    monkeypatch.setattr(os, "popen", boom)
    monkeypatch.setattr(subprocess, "Popen", boom)


# ---- hostile input --------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "column"), HOSTILE, ids=[repr(e)[:30] for e, _ in HOSTILE])
def test_hostile_formula_is_a_422_at_its_column_everywhere(client, no_exec, expr, column):
    ref = custom(expr)
    bodies = {
        "/api/point": {"surface": ref, "point": [0.5, 0.5]},
        "/api/grid": {"surface": ref, "n": 5},
        "/api/run": {"surface": ref, "start": [1.0, 1.0], "steps": 3, "optimizers": [{"name": "gd", "lr": 0.1}]},
    }
    for path, body in bodies.items():
        (err,) = post(client, path, body, 422)["detail"]
        assert err["loc"] == ["body", "surface", "expr"], path
        assert err["msg"].startswith(f"column {column}: "), (path, err["msg"])
    (err,) = post(client, "/api/formula", {"expr": expr}, 422)["detail"]
    assert (err["loc"], err["column"], err["type"]) == (["body", "expr"], column, "formula_error")
    assert err["msg"] == f"column {column}: {err['message']}" and err["message"]
    assert len(err["input"]) <= 500


def test_formula_errors_are_specific(client):
    cases = {"x**2 + __import__('os')": "function '__import__' is not allowed",
             "x^2": "use ** for powers", "9**9**9": "exponent 9**9 is too large", "x" * 600: "too long"}
    for expr, says in cases.items():
        (err,) = post(client, "/api/formula", {"expr": expr}, 422)["detail"]
        assert says in err["message"], err


def test_expr_on_a_builtin_surface_and_custom_without_expr_are_422(client):
    (err,) = post(client, "/api/point", {"surface": {"name": "quadratic", "expr": "x"}, "point": [0, 0]}, 422)["detail"]
    assert "only for surface 'custom'" in err["msg"]
    (err,) = post(client, "/api/point", {"surface": {"name": "custom"}, "point": [0, 0]}, 422)["detail"]
    assert err["loc"][-1] == "expr" and "'expr' is required" in err["msg"]
    (err,) = post(client, "/api/formula", {"expr": "x", "domain": {"x": [1, -1], "y": [0, 1]}}, 422)["detail"]
    assert err["loc"][:2] == ["body", "domain"]


# ---- POST /api/formula ------------------------------------------------------------------------------

def test_formula_endpoint_gives_exact_derivatives_and_the_stationary_point(client):
    out = post(client, "/api/formula", {"expr": " x**2 + 10*y**2 - 4*x ", "domain": {"x": [-3, 3], "y": [-2, 2]}})
    assert out["ok"] is True and out["expr"] == "x**2 + 10*y**2 - 4*x"
    assert out["derivatives"] == {"f": "x**2 - 4*x + 10*y**2", "fx": "2*x - 4", "fy": "20*y",
                                  "fxx": "2", "fxy": "0", "fyy": "20"}
    assert out["derivatives_latex"]["fx"] == "2 x - 4"
    assert out["constant_hessian"] is True
    assert out["stationary"] == [{"x": 2.0, "y": 0.0, "f": -4.0, "kind": "minimum"}]
    assert out["domain"] == {"x": [-3.0, 3.0], "y": [-2.0, 2.0]}
    assert out["surface"] == {"name": "custom", "expr": "x**2 + 10*y**2 - 4*x", "domain": out["domain"]}
    assert out["default_start"] == pytest.approx([-1.8, 1.2])


def test_formula_endpoint_on_a_non_quadratic(client):
    out = post(client, "/api/formula", {"expr": SADDLE_SIN})
    # no closed form, but the numeric search (multi-start Newton on the exact derivatives) finds the minimum
    assert out["constant_hessian"] is False and out["stationary"] == [{"x": 0.0, "y": 0.0, "f": 0.0, "kind": "minimum"}]
    assert out["derivatives"]["fx"] == "2*x - 1.5*y*cos(3*x*y)"
    assert out["derivatives"]["fxy"] == "4.5*x*y*sin(3*x*y) - 1.5*cos(3*x*y)"
    assert "\\sin" in out["latex"]


def test_openapi_documents_the_formula_endpoint_and_the_custom_reference(client):
    spec = client.get("/openapi.json").json()
    post_ = spec["paths"]["/api/formula"]["post"]
    assert post_["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("FormulaError422")
    schemas = spec["components"]["schemas"]
    assert schemas["FormulaResponse"]["examples"][0]["derivatives"]["fyy"] == "20"
    # the custom member of the surface union: a formula, and only it offers `expr`
    assert any(ex.get("name") == "custom" and "expr" in ex for ex in schemas["CustomRef"]["examples"])
    assert schemas["CustomRef"]["properties"]["expr"]["maxLength"] == 500
    assert "expr" not in schemas["QuadraticRef"]["properties"]


# ---- valid custom surfaces through the other endpoints -----------------------------------------------

@pytest.mark.parametrize("point", [[0.3, -0.7], [1.1, 0.4], [-0.9, 1.3]])
def test_point_gradient_and_hessian_match_central_differences(client, point):
    ref = custom(SADDLE_SIN)

    def geom(p):
        return post(client, "/api/point", {"surface": ref, "point": list(p)})

    g = geom(point)
    p = np.array(point)
    e = np.eye(2) * H
    fd_grad = [(geom(p + e[k])["f"] - geom(p - e[k])["f"]) / (2 * H) for k in range(2)]
    fd_hess = [(np.array(geom(p + e[k])["grad"]) - np.array(geom(p - e[k])["grad"])) / (2 * H) for k in range(2)]
    np.testing.assert_allclose(g["grad"], fd_grad, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(g["hessian"], fd_hess, rtol=1e-7, atol=1e-6)
    x, y = point  # and the closed form
    assert g["f"] == pytest.approx(x * x + 10 * y * y - 0.5 * np.sin(3 * x * y), abs=1e-14)
    assert g["grad"][0] == pytest.approx(2 * x - 1.5 * y * np.cos(3 * x * y), abs=1e-14)


def test_grid_of_log_has_nulls_where_undefined_and_no_nan(client):
    r = client.post("/api/grid", json={"surface": custom("log(x)", (-1, 1), (-1, 1)), "n": 11})
    assert r.status_code == 200
    assert "NaN" not in r.text and "Infinity" not in r.text
    out = strict_json(r.text)
    xs = np.array(out["x"])
    assert xs == pytest.approx(np.linspace(-1, 1, 11))
    for row in out["z"]:
        for xj, z in zip(xs, row, strict=True):
            if xj <= 0:
                assert z is None
            else:
                assert z == pytest.approx(np.log(xj), abs=1e-12)
    assert out["zmax"] == pytest.approx(0.0, abs=1e-12) and out["zmin"] == pytest.approx(np.log(0.2))


def test_run_into_the_undefined_region_ends_diverged(client):
    body = {"surface": custom("log(x) + y**2", (-1, 3), (-2, 2)), "start": [0.5, 1.0], "steps": 100,
            "optimizers": [{"name": "gd", "lr": 0.5}]}
    r = client.post("/api/run", json=body)
    assert r.status_code == 200 and "NaN" not in r.text
    (run,) = strict_json(r.text)["runs"]
    # d/dx log x = 1/x pushes x down: 0.5 → 0.5 - 0.5/0.5 = -0.5, where log is undefined
    assert run["status"] == "diverged" and run["steps_taken"] == 0 and run["path"] == [[0.5, 1.0]]


def test_theory_block_for_a_typed_quadratic(client):
    body = {"surface": custom("x**2 + 10*y**2"), "start": [-4.0, 2.0], "steps": 50,
            "optimizers": [{"name": "gd", "lr": 0.05}, {"name": "adam", "lr": 0.1}]}
    out = post(client, "/api/run", body)
    th = out["theory"]
    assert th["lambda_min"] == pytest.approx(2) and th["lambda_max"] == pytest.approx(20)
    assert th["kappa"] == pytest.approx(10) and th["eta_max_stable_gd"] == pytest.approx(0.1)
    assert th["runs"][0]["predicted_rate"] == pytest.approx(0.9) and th["runs"][0]["stable"] is True
    assert th["runs"][1]["predicted_rate"] is None
    # GD on diag(2, 20): x_t = (1 - 0.05·2)^t x_0, y_t = (1 - 0.05·20)^t y_0 = 0 after one step
    path = np.array(out["runs"][0]["path"])
    np.testing.assert_allclose(path[:, 0], -4.0 * 0.9 ** np.arange(51), rtol=1e-12)
    assert path[1, 1] == 0.0


def test_basins_on_custom_surfaces(client):
    body = {"surface": custom("(x-1)**2 + 2*(y+0.5)**2", (-2, 2), (-1, 1)), "optimizer": {"name": "gd", "lr": 0.05},
            "steps": 400, "n": 5}
    out = post(client, "/api/basins", body)
    assert out["minima"] == [{"x": 1.0, "y": -0.5, "f": 0.0}]  # the constant-Hessian stationary point
    assert out["x"] == pytest.approx([-2, -1, 0, 1, 2]) and out["y"] == pytest.approx([-1, -0.5, 0, 0.5, 1])
    assert out["label"] == [[0] * 5] * 5 and out["counts"] == {"-2": 0, "-1": 0, "0": 25}
    assert out["steps_to_converge"][1][3] == 0  # the start (1, -0.5) is the minimum
    # a non-quadratic custom surface: its minima are found numerically and label the basins
    body["surface"] = custom("(x**2 - 1)**2 + y**2", (-2, 2), (-1, 1))
    out = post(client, "/api/basins", body)
    minima = sorted((m["x"], m["y"]) for m in out["minima"])
    assert minima == [(-1.0, 0.0), (1.0, 0.0)]
    left = [m["x"] for m in out["minima"]].index(-1.0)
    assert [row[0] for row in out["label"]] == [left] * 5 and [row[4] for row in out["label"]] == [1 - left] * 5
