"""POST /api/scene: the Paths view's one round trip for a new surface. Its parts equal what the four
separate endpoints (/api/surface, /api/grid, /api/point, /api/run) answer for the same body."""

from __future__ import annotations

import pytest
from api_helpers import strict_json

from app.schemas.runs import DEFAULT_SCENE
from app.settings import get_settings

CUSTOM = {"name": "custom", "expr": "x**2 + 10*y**2 - 0.5*sin(3*x*y)"}


def post(client, url: str, body: dict) -> dict:
    response = client.post(url, json=body)
    assert response.status_code == 200, response.text
    return strict_json(response.content)


@pytest.mark.parametrize("body", [
    {**DEFAULT_SCENE, "grid_n": 121},
    {"surface": {"name": "quadratic", "params": {"kappa": 7.5, "theta": -20}}, "start": [3, -1], "steps": 60,
     "optimizers": [{"name": "nesterov", "lr": 0.05, "momentum": 0.8}], "grid_n": 33},
    {"surface": CUSTOM, "steps": 40, "optimizers": [{"name": "adam", "lr": 0.1}], "grid_n": 17},  # default start
], ids=["default", "quadratic", "custom"])
def test_scene_equals_the_four_endpoints(client, body):
    scene = post(client, "/api/scene", body)
    assert set(scene) == {"surface", "grid", "point", "run"}
    run_body = {k: v for k, v in body.items() if k != "grid_n"}
    run = post(client, "/api/run", run_body)
    assert scene["run"] == run
    n = body["grid_n"]
    assert scene["grid"] == post(client, "/api/grid", {"surface": body["surface"], "n": n})
    assert len(scene["grid"]["x"]) == len(scene["grid"]["y"]) == n and len(scene["grid"]["z"]) == n
    assert scene["surface"] == post(client, "/api/surface", {"surface": body["surface"]})
    # the point is the run's start: the given one, or the surface's default start
    assert scene["point"] == post(client, "/api/point", {"surface": body["surface"], "point": run["start"]})
    if "start" not in body:
        assert run["start"] == scene["surface"]["default_start"]


def test_grid_n_defaults_to_the_paths_view_resolution_and_takes_an_integral_float(client):
    scene = post(client, "/api/scene", dict(DEFAULT_SCENE))
    assert len(scene["grid"]["x"]) == 121 and len(scene["grid"]["z"][0]) == 121
    assert len(post(client, "/api/scene", {**DEFAULT_SCENE, "grid_n": 9.0})["grid"]["x"]) == 9  # JSON's 9.0 is 9


def test_include_run_false_leaves_the_run_out(client):
    scene = post(client, "/api/scene", {**DEFAULT_SCENE, "include_run": False, "grid_n": 9})
    assert scene["run"] is None
    assert scene["point"]["curvature"] == "positive_definite" and len(scene["grid"]["z"]) == 9


def detail_locs(response) -> list[tuple]:
    assert response.status_code == 422, response.text
    return [tuple(d["loc"]) for d in response.json()["detail"]]


@pytest.mark.parametrize("extra, loc", [
    ({"grid_n": 1}, ("body", "grid_n")),
    ({"grid_n": 2.5}, ("body", "grid_n")),
    ({"grid_n": "121"}, ("body", "grid_n")),  # strict: a string is not a number
    ({"include_run": 1}, ("body", "include_run")),
    ({"n": 121}, ("body", "n")),  # /api/grid's name is not a field here: typos are caught
    ({"steps": 0}, ("body", "steps")),
    ({"optimizers": []}, ("body", "optimizers")),
    ({"optimizers": [{"name": "gd", "lr": -1}]}, ("body", "optimizers", 0, "lr")),
    ({"surface": {"name": "nope"}}, ("body", "surface")),
    ({"surface": {"name": "custom", "expr": "x**2 + __import__('os')"}}, ("body", "surface", "expr")),
])
def test_bad_input_is_a_422_naming_the_field(client, extra, loc):
    locs = detail_locs(client.post("/api/scene", json={**DEFAULT_SCENE, **extra}))
    assert any(found[:len(loc)] == loc for found in locs), locs


def test_grid_n_is_bounded_by_the_setting(client):
    limit = get_settings().limits.max_grid_n
    response = client.post("/api/scene", json={**DEFAULT_SCENE, "grid_n": limit + 1})
    assert detail_locs(response) == [("body", "grid_n")]
    assert "LOSSLAB_MAX_GRID_N" in response.json()["detail"][0]["msg"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SceneRequest"]["properties"]["grid_n"]
    assert schema["maximum"] == limit


def test_too_much_work_is_a_422_before_anything_runs(client):
    limits = get_settings().limits
    body = {"surface": {"name": "rosenbrock"}, "steps": limits.max_steps, "grid_n": limits.max_grid_n,
            "optimizers": [{"name": "newton", "lr": 0.1}] * limits.max_optimizers}
    response = client.post("/api/scene", json=body)
    assert response.status_code == 422, response.text
    assert "too much work" in response.json()["detail"][0]["msg"]
