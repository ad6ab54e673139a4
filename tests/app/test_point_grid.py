"""POST /api/point and /api/grid: exact local geometry and the Plotly grid layout, checked
against closed forms; non-finite values are sent as null."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from api_helpers import strict_json

HAS_CUSTOM = importlib.util.find_spec("engine.surfaces.custom") is not None
needs_custom = pytest.mark.skipif(not HAS_CUSTOM, reason="custom-formula surfaces not built yet")


def quadratic_hessian(kappa: float, theta_deg: float, lam_min: float = 1.0) -> np.ndarray:
    t = np.deg2rad(theta_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return rot @ np.diag([lam_min, kappa * lam_min]) @ rot.T


def himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def post_point(client, surface: dict, point: list[float]) -> dict:
    response = client.post("/api/point", json={"surface": surface, "point": point})
    assert response.status_code == 200, response.text
    return strict_json(response.content)


def test_point_on_rotated_quadratic_gives_the_contract_eigenpairs(client):
    body = post_point(client, {"name": "quadratic", "params": {"kappa": 10, "theta": 30}}, [1.0, 2.0])
    np.testing.assert_allclose(body["eigenvalues"], [1.0, 10.0], rtol=0, atol=1e-12)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    v_shallow, v_steep = np.array(body["eigenvectors"])
    # up to sign: the shallow direction is (cos θ, sin θ), the steep one (−sin θ, cos θ)
    assert abs(abs(v_shallow @ [c, s]) - 1) < 1e-12
    assert abs(abs(v_steep @ [-s, c]) - 1) < 1e-12
    hess = quadratic_hessian(10, 30)
    np.testing.assert_allclose(body["hessian"], hess, atol=1e-12)
    np.testing.assert_allclose(body["grad"], hess @ [1.0, 2.0], atol=1e-12)
    assert body["f"] == pytest.approx(0.5 * np.array([1.0, 2.0]) @ hess @ [1.0, 2.0], abs=1e-12)
    assert body["curvature"] == "positive_definite"


def test_point_eigenvectors_are_unit_and_belong_to_their_eigenvalues(client):
    body = post_point(client, {"name": "rosenbrock"}, [-1.2, 1.0])
    hess, lam, vecs = np.array(body["hessian"]), np.array(body["eigenvalues"]), np.array(body["eigenvectors"])
    assert lam[0] <= lam[1]
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-12)
    for value, vector in zip(lam, vecs, strict=True):
        np.testing.assert_allclose(hess @ vector, value * vector, atol=1e-9 * abs(lam).max())
    np.testing.assert_allclose(hess, hess.T, atol=0)


def test_point_gradient_is_exact_against_central_differences(client):
    surface, point, h = {"name": "himmelblau"}, np.array([0.7, -1.3]), 1e-5
    body = post_point(client, surface, list(point))
    fd = []
    for e in np.eye(2):
        f_plus = post_point(client, surface, list(point + h * e))["f"]
        f_minus = post_point(client, surface, list(point - h * e))["f"]
        fd.append((f_plus - f_minus) / (2 * h))
    np.testing.assert_allclose(body["grad"], fd, rtol=1e-7)
    assert body["f"] == pytest.approx(himmelblau(*point), rel=1e-14)


@pytest.mark.parametrize("surface, point, curvature, eigenvalues", [
    ({"name": "saddle", "params": {"a": 2, "b": 3}}, [0.5, -0.5], "indefinite", [-3.0, 2.0]),
    ({"name": "monkey_saddle"}, [0.0, 0.0], "singular", [0.0, 0.0]),
    ({"name": "himmelblau"}, [-0.270845, -0.923039], "negative_definite", None),  # its local maximum
    ({"name": "quadratic", "params": {"kappa": 50, "lam_min": 2}}, [3.0, 4.0], "positive_definite", [2.0, 100.0]),
])
def test_point_curvature_classes(client, surface, point, curvature, eigenvalues):
    body = post_point(client, surface, point)
    assert body["curvature"] == curvature
    if eigenvalues is not None:
        np.testing.assert_allclose(body["eigenvalues"], eigenvalues, atol=1e-12)
    if curvature == "negative_definite":
        assert max(body["eigenvalues"]) < 0 and np.linalg.norm(body["grad"]) < 1e-3


def post_grid(client, body: dict) -> dict:
    response = client.post("/api/grid", json=body)
    assert response.status_code == 200, response.text
    return strict_json(response.content)


@pytest.mark.parametrize("n", [2, 7, 501])
def test_grid_layout_is_z_i_j_equals_f_of_x_j_y_i(client, n):
    domain = {"x": [-5.0, 4.0], "y": [-3.0, 6.0]}  # different ranges, so a transposed z would show
    body = post_grid(client, {"surface": {"name": "himmelblau"}, "n": n, "domain": domain})
    x, y, z = np.array(body["x"]), np.array(body["y"]), np.array(body["z"], dtype=float)
    assert x.shape == (n,) and y.shape == (n,) and z.shape == (n, n)
    np.testing.assert_allclose(x, np.linspace(-5, 4, n), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, np.linspace(-3, 6, n), rtol=0, atol=1e-12)
    for i, j in [(0, 0), (0, n - 1), (n - 1, 0), (n // 2, n // 3), (n - 1, n - 1)]:
        assert z[i, j] == pytest.approx(himmelblau(x[j], y[i]), rel=1e-13, abs=1e-12), (i, j)
    np.testing.assert_allclose(z, himmelblau(x[None, :], y[:, None]), rtol=1e-12, atol=1e-10)
    assert body["zmin"] == z.min() and body["zmax"] == z.max()


def test_grid_defaults_to_the_surface_domain_and_n_101(client, surfaces_by_name):
    body = post_grid(client, {"surface": {"name": "rosenbrock"}})
    (xlo, xhi), (ylo, yhi) = surfaces_by_name["rosenbrock"]["domain"].values()
    assert len(body["x"]) == len(body["y"]) == 101
    assert (body["x"][0], body["x"][-1], body["y"][0], body["y"][-1]) == (xlo, xhi, ylo, yhi)


@pytest.fixture(scope="module")
def surfaces_by_name(client):
    return {s["name"]: s for s in strict_json(client.get("/api/surfaces").content)["surfaces"]}


def test_grid_at_the_coordinate_limit_stays_finite_json(client):
    body = post_grid(client, {"surface": {"name": "quadratic", "params": {"lam_min": 1e3, "kappa": 1e4}},
                              "n": 3, "domain": {"x": [-1e6, 1e6], "y": [-1e6, 1e6]}})
    assert body["z"][1][1] == 0.0
    assert body["zmax"] == pytest.approx(0.5 * (1e3 + 1e7) * 1e12)  # λmin·x² + λmax·y² at a corner


@needs_custom
def test_grid_over_an_overflowing_surface_sends_null(client):
    body = post_grid(client, {"surface": {"name": "custom", "expr": "exp(x**2)",
                                          "domain": {"x": [-40, 40], "y": [-1, 1]}}, "n": 5})
    row = body["z"][0]
    assert row[0] is None and row[-1] is None  # exp(1600) overflows to inf -> null
    assert row[2] == 1.0 and row[1] == pytest.approx(np.exp(400.0))
    assert body["zmin"] == 1.0 and body["zmax"] == pytest.approx(np.exp(400.0))


@needs_custom
def test_point_where_the_surface_overflows_sends_null(client):
    body = post_point(client, {"name": "custom", "expr": "exp(x**2)"}, [40.0, 0.0])
    assert body["f"] is None and body["grad"][0] is None
    assert body["eigenvalues"] == [None, None]


def test_point_and_grid_are_deterministic(client):
    point = {"surface": {"name": "beale"}, "point": [1.0, 0.3]}
    grid = {"surface": {"name": "six_hump_camel"}, "n": 51}
    assert client.post("/api/point", json=point).content == client.post("/api/point", json=point).content
    assert client.post("/api/grid", json=grid).content == client.post("/api/grid", json=grid).content


def test_response_encoder_writes_every_non_finite_number_as_null():
    from app.responses import dumps

    content = {"py": [float("nan"), float("inf"), -float("inf"), 1.5],
               "np": np.array([[np.nan, np.inf], [-np.inf, 2.0]]), "scalar": np.float64("nan"),
               "big": 10**30, "huge": -(10**400)}
    assert strict_json(dumps(content)) == {"py": [None, None, None, 1.5], "np": [[None, None], [None, 2.0]],
                                           "scalar": None, "big": 1e30, "huge": None}
