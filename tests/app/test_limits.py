"""One limit, set through the environment, changes the 422, the OpenAPI schema, /api/limits,
/api/health and the page's config together (issue 18)."""

from __future__ import annotations

import html
import json
import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import LIMIT_FIELDS, Settings

RUN = {"surface": {"name": "quadratic"}, "optimizers": [{"name": "gd"}]}


def app_with_env(monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(f"LOSSLAB_{key}", str(value))
    return TestClient(create_app(Settings()))


def test_max_steps_from_the_environment_changes_everything_together(monkeypatch):
    client = app_with_env(monkeypatch, MAX_STEPS=100, MAX_OPTIMIZERS=3, MAX_GRID_N=50)
    # the 422
    assert client.post("/api/run", json={**RUN, "steps": 100}).status_code == 200
    bad = client.post("/api/run", json={**RUN, "steps": 101})
    assert bad.status_code == 422
    (err,) = bad.json()["detail"]
    assert err["loc"] == ["body", "steps"] and "100" in err["msg"] and "LOSSLAB_MAX_STEPS" in err["msg"]
    for path, body in [("/api/basins", {"surface": {"name": "quadratic"}, "optimizer": {"name": "gd"}, "n": 2}),
                       ("/api/tune", {"surface": {"name": "quadratic"}, "optimizers": [{"name": "gd"}], "budget": 2})]:
        assert client.post(path, json={**body, "steps": 101}).status_code == 422
        assert client.post(path, json={**body, "steps": 100}).status_code == 200
    four = client.post("/api/run", json={**RUN, "optimizers": [{"name": "gd"}] * 4})
    assert four.status_code == 422 and four.json()["detail"][0]["loc"] == ["body", "optimizers"]
    assert client.post("/api/grid", json={"surface": {"name": "himmelblau"}, "n": 51}).status_code == 422
    # the OpenAPI schema
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("RunRequest", "BasinsRequest", "PhaseRequest", "TuneRequest"):
        assert schemas[model]["properties"]["steps"]["maximum"] == 100, model
    assert schemas["RunRequest"]["properties"]["optimizers"]["maxItems"] == 3
    assert schemas["GridRequest"]["properties"]["n"]["maximum"] == 50
    assert "x-limit" not in json.dumps(schemas)
    # the published limits
    published = client.get("/api/limits").json()["limits"]
    assert published["max_steps"] == {"value": 100, "description": LIMIT_FIELDS["max_steps"][1]}
    assert published["max_optimizers"]["value"] == 3 and set(published) == set(LIMIT_FIELDS)
    assert client.get("/api/health").json()["limits"]["max_steps"] == 100
    # the page's config (state.js applyLimits reads it)
    raw = re.search(r"data-config='([^']*)'", client.get("/").text).group(1)
    config = json.loads(html.unescape(raw))
    assert config["limits"]["max_steps"] == 100 and config["limits"]["max_optimizers"] == 3


def test_default_app_keeps_the_contract_limits(client):
    published = {k: v["value"] for k, v in client.get("/api/limits").json()["limits"].items()}
    assert published["max_steps"] == 20000 and published["max_optimizers"] == 12
    assert published["max_grid_n"] == 501 and published["max_basin_n"] == 301 and published["max_phase_n"] == 101
    assert published["max_hidden_width"] == 256 and published["max_depth"] == 4 and published["max_dataset_n"] == 5000
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    hidden = schemas["ModelSpec"]["properties"]["hidden"]
    assert hidden["maxItems"] == 4 and hidden["items"]["maximum"] == 256


def test_kernels_setting_is_handed_to_the_engine(monkeypatch):
    # LOSSLAB_KERNELS is a Settings field; the engine reads no environment and keeps its own default
    from engine import compiled, kernels

    monkeypatch.setattr(compiled, "_allowed", compiled._allowed)  # restored after the test
    monkeypatch.setenv("LOSSLAB_KERNELS", "0")
    client = TestClient(create_app(Settings()))
    assert kernels.enabled() is False and compiled.allowed() is False  # the network's layers too
    numpy_path = client.post("/api/run", json={**RUN, "steps": 30}).json()["runs"][0]["loss"]
    kernels.set_enabled(True)
    assert client.post("/api/run", json={**RUN, "steps": 30}).json()["runs"][0]["loss"] == numpy_path  # same numbers
