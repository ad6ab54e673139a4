"""Every registered optimizer through the API: the catalogue, the generated request schema, /api/run
(second lines and evaluation counts), the stream and a network training."""

import json

import numpy as np
import pytest
from starlette.testclient import TestClient

from app.main import app
from engine.optimizers import REGISTRY


@pytest.fixture(scope="module")
def client():
    with TestClient(app) as c:
        yield c


def test_catalogue_lists_every_optimizer_with_rule_reference_params_and_demo(client):
    listed = {o["name"]: o for o in client.get("/api/optimizers").json()["optimizers"]}
    assert list(listed) == list(REGISTRY)
    for name, info in REGISTRY.items():
        entry = listed[name]
        assert entry["rule"] == info.rule and entry["torch"] == info.torch
        assert [p["name"] for p in entry["params"]] == [p.name for p in info.params]
        assert isinstance(entry["demo"], dict)
        assert entry["networks"] == (name != "newton")


def test_openapi_optimizer_spec_has_a_field_for_every_hyperparameter(client):
    # one member of the optimizer union per registered optimizer, with exactly its own Param table
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    members = schemas["RunRequest"]["properties"]["optimizers"]["items"]["oneOf"]
    assert len(members) == len(REGISTRY)
    for info in REGISTRY.values():
        spec = schemas["".join(w.capitalize() for w in info.name.split("_")) + "Spec"]
        assert spec["properties"]["name"]["const"] == info.name
        assert set(spec["properties"]) == {"name", "label", *(p.name for p in info.params)}
    line_search = schemas["LbfgsSpec"]["properties"]["line_search_fn"]
    assert "strong_wolfe" in json.dumps(line_search)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_optimizer_runs_with_its_demo_settings(client, name):
    body = {"surface": {"name": "quadratic", "params": {"kappa": 10, "theta": 30}}, "start": [-4.0, 2.0],
            "steps": 30, "optimizers": [{"name": name, **REGISTRY[name].demo} if REGISTRY[name].demo
                                        else {"name": name}]}
    resp = client.post("/api/run", json=body)
    assert resp.status_code == 200, resp.text
    run = resp.json()["runs"][0]
    assert len(run["path"]) == run["steps_taken"] + 1
    if name in ("asgd", "sgd_schedulefree", "adamw_schedulefree"):
        assert len(run["aux_path"]) == len(run["path"]) and run["aux_path"][0] == [-4.0, 2.0]
    else:
        assert run.get("aux_path") is None
    if name == "lbfgs":
        evals = run["func_evals"]
        assert len(evals) == len(run["path"]) and evals[0] == 0 and evals[1] >= 1
    theory = resp.json()["theory"]["runs"][0]
    if name not in ("gd", "momentum", "nesterov"):
        assert theory["predicted_rate"] is None  # nothing is guessed for non-linear methods


def test_stream_chunks_join_to_the_run_with_its_second_line(client):
    body = {"surface": {"name": "rosenbrock"}, "start": [-1.2, 1.0], "steps": 150,
            "optimizers": [{"name": "asgd", "lr": 0.001, "t0": 20}, {"name": "adamw_schedulefree", "lr": 0.01}]}
    whole = client.post("/api/run", json=body).json()["runs"]
    lines = [json.loads(line) for line in client.post("/api/run/stream", json=body).text.splitlines()]
    for i, run in enumerate(whole):
        chunks = [c for c in lines if c["type"] == "chunk" and c["run"] == i]
        joined = [p for c in chunks for p in c["aux_path"]]
        assert joined == run["aux_path"]
        assert not np.allclose(run["aux_path"][-1], run["path"][-1])  # a genuinely different line


def test_lbfgs_work_is_bounded_before_it_starts(client):
    body = {"surface": {"name": "rosenbrock"}, "steps": 5000, "optimizers": [{"name": "lbfgs"}]}
    resp = client.post("/api/run", json=body)
    assert resp.status_code == 422 and "max_eval" in resp.text


def test_new_optimizers_train_networks(client):
    body = {"dataset": {"name": "moons", "n": 60}, "model": {"hidden": [6]}, "steps": 20,
            "optimizers": [{"name": "lion", "lr": 0.01}, {"name": "lbfgs", "lr": 0.5, "max_iter": 3},
                           {"name": "rprop"}, {"name": "adamw_schedulefree", "lr": 0.05}]}
    resp = client.post("/api/network/train", json=body)
    assert resp.status_code == 200, resp.text
    runs = resp.json()["runs"]
    assert [r["optimizer"]["name"] if "optimizer" in r else r["name"] for r in runs] == \
        ["lion", "lbfgs", "rprop", "adamw_schedulefree"]
    for r in runs:
        assert r["status"] == "ok" and r["loss"][-1] < r["loss"][0]
