"""Parameter ranges declared once (issue 18): the catalogue endpoints, the OpenAPI schema and
validation use the same range for every surface, optimizer, schedule and dataset parameter; params
that would collide with arguments are a 422 naming the field; every surface honours `domain`."""

from __future__ import annotations

import pytest

from engine.nn.datasets import REGISTRY as DATASETS
from engine.optimizers import REGISTRY as OPTIMIZERS
from engine.schedules import REGISTRY as SCHEDULES
from engine.surfaces import REGISTRY as SURFACES

QUAD = {"name": "quadratic", "params": {"kappa": 10.0}}


def _schemas(client):
    return client.get("/openapi.json").json()["components"]["schemas"]


def _bounds(prop):
    prop = next((m for m in prop.get("anyOf", []) if m.get("type") != "null"), prop)  # optional (default null)
    lo = prop.get("minimum", prop.get("exclusiveMinimum"))
    return lo, prop.get("maximum"), "exclusiveMinimum" in prop


def _cases(client):
    """(what, catalogue row, OpenAPI property, body builder) for every numeric parameter."""
    schemas = _schemas(client)
    surfaces = {s["name"]: s for s in client.get("/api/surfaces").json()["surfaces"]}
    catalog = client.get("/api/optimizers").json()
    optimizers = {o["name"]: o for o in catalog["optimizers"]}
    schedules = {s["name"]: s for s in catalog["schedules"]}
    out = []
    for name in SURFACES:
        model = schemas[f"{''.join(w.capitalize() for w in name.split('_'))}Params"]
        for row in surfaces[name]["params"]:
            out.append((f"surface {name}.{row['name']}", row, model["properties"][row["name"]],
                        lambda v, n=name, k=row["name"]: ("/api/point", {"surface": {"name": n, "params": {k: v}},
                                                                          "point": [0.5, 0.5]})))
    for name in OPTIMIZERS:
        model = schemas[f"{''.join(w.capitalize() for w in name.split('_'))}Spec"]
        for row in optimizers[name]["params"]:
            out.append((f"optimizer {name}.{row['name']}", row, model["properties"][row["name"]],
                        lambda v, n=name, k=row["name"]: ("/api/run", {"surface": QUAD, "steps": 2,
                                                                        "optimizers": [{"name": n, k: v}]})))
    for name in SCHEDULES:
        model = schemas[f"{''.join(w.capitalize() for w in name.split('_'))}Schedule"]
        for row in schedules[name]["params"]:
            out.append((f"schedule {name}.{row['name']}", row, model["properties"][row["name"]],
                        lambda v, n=name, k=row["name"]: ("/api/run", {"surface": QUAD, "steps": 2, "optimizers": [
                            {"name": "gd"}], "schedule": {"name": n, k: v}})))
    for name, info in DATASETS.items():
        model = schemas[f"{''.join(w.capitalize() for w in name.split('_'))}DatasetParams"]
        for p in info.params:
            row = p.describe()
            out.append((f"dataset {name}.{p.name}", row, model["properties"][p.name],
                        lambda v, n=name, k=p.name: ("/api/network/train", {
                            "dataset": {"name": n, "n": 8, "params": {k: v}}, "model": {"hidden": [2]},
                            "optimizers": [{"name": "gd"}], "steps": 1, "decision": None})))
    return out


def _post(client, path_body):
    path, body = path_body
    return client.post(path, json=body)


def test_catalogue_openapi_and_validation_share_every_range(client):
    cases = _cases(client)
    assert len(cases) > 60
    checked = 0
    for what, row, prop, body in cases:
        if row["type"] not in ("float", "int"):
            continue
        lo, hi, exclusive = _bounds(prop)
        assert (lo, hi) == (row["min"], row["max"]), what  # OpenAPI = catalogue
        assert prop.get("default") == row["default"], what
        for value, ok in ((row["min"], not exclusive), (row["max"], True)):
            if value is None:
                continue
            status = _post(client, body(int(value) if row["type"] == "int" else value)).status_code
            assert status == (200 if ok else 422), (what, value, status)
        step = 1 if row["type"] == "int" else max(abs(row["max"] or 1), 1) * 1e-6
        for value in ((row["min"] - step) if row["min"] is not None else None,
                      (row["max"] + step) if row["max"] is not None else None):
            if value is None:
                continue
            response = _post(client, body(int(value) if row["type"] == "int" else value))
            assert response.status_code == 422, (what, value, response.status_code)
            assert row["name"] in str(response.json()["detail"][0]["loc"]), (what, response.json())
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("dataset_params", [{"n": 500}, {"seed": 1}, {"name": "x"}, {"noise": 0.1, "n": 5}])
def test_dataset_params_that_collide_with_arguments_are_422(client, dataset_params):
    for path in ("/api/network/train", "/api/network/train/stream"):
        body = {"dataset": {"name": "moons", "n": 500, "seed": 0, "params": dataset_params},
                "optimizers": [{"name": "gd"}], "steps": 1}
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.text[:300])
        (bad,) = [k for k in dataset_params if k != "noise"]
        assert response.json()["detail"][0]["loc"] == ["body", "dataset", "params", bad]


@pytest.mark.parametrize("name", [*SURFACES])
def test_reserved_surface_param_names_are_422_on_every_surface(client, name):
    for param in ("self", "name", "params"):
        response = client.post("/api/point", json={"surface": {"name": name, "params": {param: 1.0}}, "point": [0, 0]})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "surface", "params", param]


def test_openapi_offers_each_member_only_its_own_parameters(client):
    schemas = _schemas(client)
    assert set(schemas["ConstantSchedule"]["properties"]) == {"name"}
    assert set(schemas["StepSchedule"]["properties"]) == {"name", "step_size", "gamma"}
    assert set(schemas["GdSpec"]["properties"]) == {"name", "label", "lr", "weight_decay"}
    assert "expr" not in schemas["QuadraticRef"]["properties"] and "params" not in schemas["CustomRef"]["properties"]
    run = schemas["RunRequest"]["properties"]
    assert len(run["optimizers"]["items"]["oneOf"]) == len(OPTIMIZERS)
    assert len(run["surface"]["oneOf"]) == len(SURFACES) + 1


@pytest.mark.parametrize("name", [*SURFACES])
def test_every_surface_honours_a_domain_override(client, name):
    domain = {"x": [-0.75, 0.5], "y": [0.25, 1.5]}
    body = {"surface": {"name": name, "domain": domain}, "start": [0.0, 0.5], "steps": 2,
            "optimizers": [{"name": "gd", "lr": 1e-4}]}
    response = client.post("/api/run", json=body)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["surface"]["domain"] == domain
    grid = client.post("/api/grid", json={"surface": {"name": name, "domain": domain}, "n": 3}).json()
    assert (grid["x"][0], grid["x"][-1], grid["y"][0], grid["y"][-1]) == (-0.75, 0.5, 0.25, 1.5)
