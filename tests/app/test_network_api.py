"""/api/network/train (+ /stream) and /api/network/datasets: numbers checked against engine.nn
computed directly, determinism, stream = whole response, planes, decision grids, limits and 422s."""

from __future__ import annotations

import time
import warnings

import httpx
import numpy as np
import pytest

from app.main import create_app
from app.settings import Settings
from engine.nn import MLP, make_dataset
from engine.nn.hessian import hvp
from tests.app.api_helpers import ndjson, strict_json

TRAIN, STREAM = "/api/network/train", "/api/network/train/stream"
DATA = {"name": "moons", "n": 60, "seed": 1, "params": {"noise": 0.1}}
NET = {"hidden": [4], "activation": "tanh", "loss": "bce", "init": "he", "seed": 3}  # d = 2·4 + 4 + 4 + 1 = 17
OPTS = [{"name": "gd", "lr": 0.5}, {"name": "momentum", "lr": 0.1, "momentum": 0.9}, {"name": "adam", "lr": 0.05}]


def body(**extra) -> dict:
    out = {"dataset": DATA, "model": NET, "optimizers": OPTS, "steps": 20, "record_every": 1}
    out.update(extra)
    return out


def post(client, payload: dict, path: str = TRAIN) -> dict:
    response = client.post(path, json=payload)
    assert response.status_code == 200, response.text
    return strict_json(response.content)


def engine_setup():
    data = make_dataset("moons", n=60, seed=1, noise=0.1)
    model = MLP((4,), "tanh", "bce")
    return data, model, model.init(3, "he", 0.1)


# ---- numbers ---------------------------------------------------------------------------------

def test_curves_start_at_the_initial_loss_and_gd_takes_the_textbook_step(client):
    out = post(client, body())
    data, model, w0 = engine_setup()
    loss0, acc0 = model.evaluate(w0, data.X, data.y)
    assert out["model"]["n_params"] == model.d == 17
    assert out["model"]["layout"] == [{"W": [4, 2], "w_start": 0, "b_start": 8}, {"W": [1, 4], "w_start": 12,
                                                                                  "b_start": 16}]
    np.testing.assert_array_equal(out["dataset"]["X"], data.X)
    np.testing.assert_array_equal(out["dataset"]["y"], data.y)
    for run in out["runs"]:  # every optimizer starts from the same weights
        assert run["steps"] == list(range(21)) and run["status"] == "ok" and run["diverged_at"] is None
        assert run["loss"][0] == pytest.approx(loss0, rel=1e-13)
        assert run["accuracy"][0] == acc0
        assert run["final"] == {"step": 20, "loss": run["loss"][-1], "accuracy": run["accuracy"][-1]}
    w = w0
    for t in range(3):  # full-batch GD: w ← w − η∇E(w), loss recorded after every update
        w = w - 0.5 * model.loss_and_grad(w, data.X, data.y)[1]
        assert out["runs"][0]["loss"][t + 1] == pytest.approx(model.loss(w, data.X, data.y), rel=1e-12)
    assert out["runs"][2]["optimizer"] == {"name": "adam", "label": "adam", "lr": 0.05, "betas": [0.9, 0.999],
                                           "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    assert all(r["loss"][-1] < r["loss"][0] for r in out["runs"])


def test_same_request_same_bytes(client):
    payload = body(batch_size=16, shuffle_seed=4, sharpness_every=5, plane={"method": "pca", "n": 7},
                   decision={"n": 9, "snapshots": 3})
    first, second = client.post(TRAIN, json=payload), client.post(TRAIN, json=payload)
    assert first.status_code == 200 and first.content == second.content


def test_stream_chunks_join_to_the_whole_response(client):
    payload = body(steps=60, sharpness_every=10, plane={"method": "random", "n": 5, "seed": 2},
                   decision={"n": 6, "snapshots": 2})
    whole = post(client, payload)
    response = client.post(STREAM, json=payload)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = ndjson(response.text)
    meta, chunks, done = lines[0], lines[1:-1], lines[-1]
    assert meta["type"] == "meta" and done["type"] == "done"
    assert {k: v for k, v in meta.items() if k not in ("type", "runs")} == {
        k: v for k, v in whole.items() if k not in ("runs", "plane", "decision")}
    assert [r["optimizer"] for r in meta["runs"]] == [r["optimizer"] for r in whole["runs"]]
    for k, run in enumerate(whole["runs"]):
        mine = [c for c in chunks if c["type"] == "chunk" and c["run"] == k]
        assert len(mine) > 1  # progress arrives while training runs
        assert [c["step"] for c in mine] == sorted(c["step"] for c in mine)
        assert sum((c["steps"] for c in mine), []) == run["steps"]
        assert sum((c["loss"] for c in mine), []) == run["loss"]
        assert sum((c["accuracy"] for c in mine), []) == run["accuracy"]
        for key in ("steps", "lam_max", "eta", "two_over_eta"):
            assert sum((c["sharpness"][key] for c in mine), []) == run["sharpness"][key]
        assert done["runs"][k] == {"status": run["status"], "diverged_at": run["diverged_at"], "final": run["final"]}
    assert done["plane"] == whole["plane"] and done["decision"] == whole["decision"]


def test_random_plane_through_the_initial_weights(client):
    n = 7
    out = post(client, body(plane={"method": "random", "n": n, "span": 0.5, "center": "init", "seed": 5}))
    plane = out["plane"]
    data, model, w0 = engine_setup()
    assert plane["center"] == {"kind": "init", "run": None, "step": 0} and plane["span"] == 0.5
    np.testing.assert_allclose(plane["alpha"], np.linspace(-0.5, 0.5, n), rtol=0, atol=1e-15)
    assert len(plane["loss"]) == n and all(len(row) == n for row in plane["loss"])
    assert plane["eigenvalues"] is None and plane["explained_variance"] is None
    # filter normalization: each neuron's row has that neuron's norm, biases 0 → ‖d‖ = ‖weights of w0‖
    weight_norm = np.sqrt(sum(np.sum(w0[lay.w_start:lay.b_start] ** 2) for lay in model.layers))
    np.testing.assert_allclose(plane["direction_norms"], [weight_norm, weight_norm], rtol=1e-12)
    # the centre of the grid is w0 itself, and w0 (step 0 of every path) lies on the plane at (0, 0)
    assert plane["loss"][n // 2][n // 2] == pytest.approx(model.loss(w0, data.X, data.y), rel=1e-12)
    assert min(min(row) for row in plane["loss"]) == plane["zmin"]
    for k, path in enumerate(plane["paths"]):
        assert path["run"] == k and path["steps"] == out["runs"][k]["steps"]
        assert path["alpha"][0] == 0 and path["beta"][0] == 0 and path["residual"][0] == 0
        assert 0 <= path["explained_variance"] <= 1 and max(path["residual"]) > 0  # 17-d paths leave the plane


def test_pca_plane_of_a_two_point_path_holds_it_exactly(client):
    """One GD run recorded at steps 0 and 20 only: two points span a line, which the PCA plane
    contains, so both residuals are 0 and the plane explains all of the path's variance."""
    out = post(client, body(optimizers=[OPTS[0]], record_every=20, plane={"method": "pca", "n": 5}))
    plane, path = out["plane"], out["plane"]["paths"][0]
    assert out["runs"][0]["steps"] == [0, 20] and plane["center"] == {"kind": "final", "run": 0, "step": 20}
    assert plane["explained_variance"] == pytest.approx([1.0, 0.0], abs=1e-12)
    np.testing.assert_allclose(path["residual"], [0, 0], atol=1e-12)
    assert path["explained_variance"] == pytest.approx(1.0, abs=1e-12)
    assert path["alpha"][1] == pytest.approx(0, abs=1e-12)  # the final weights are the centre
    np.testing.assert_allclose(plane["direction_norms"], [1, 1], rtol=1e-12)


def test_hessian_plane_and_sharpness_match_the_exact_hessian(client):
    out = post(client, body(optimizers=[OPTS[0]], sharpness_every=20,
                            plane={"method": "hessian", "n": 3, "center": "init"}))
    data, model, w0 = engine_setup()
    H = hvp(model, np.tile(w0, (model.d, 1)), data.X, data.y, np.eye(model.d))  # column j = H e_j
    top = np.linalg.eigvalsh(0.5 * (H + H.T))[::-1]
    np.testing.assert_allclose(out["plane"]["eigenvalues"], top[:2], rtol=1e-8)
    sharp = out["runs"][0]["sharpness"]
    assert sharp["steps"] == [0, 20] and sharp["eta"] == [0.5, 0.5] and sharp["two_over_eta"] == [4.0, 4.0]
    assert sharp["lam_max"][0] == pytest.approx(top[0], rel=1e-8)


def test_decision_grids_are_the_model_probabilities(client):
    n = 6
    out = post(client, body(decision={"n": n, "snapshots": 4}))
    data, model, w0 = engine_setup()
    decision = out["decision"]
    xs, ys = decision["x"], decision["y"]
    (xlo, xhi), (ylo, yhi) = data.bounds(0.1)
    np.testing.assert_allclose([xs[0], xs[-1], ys[0], ys[-1]], [xlo, xhi, ylo, yhi], rtol=1e-14)
    assert [r["run"] for r in decision["runs"]] == [0, 1, 2]
    for run in decision["runs"]:
        assert run["step"] == 20 and [s["step"] for s in run["snapshots"]] == [0, 7, 13, 20]
        assert np.shape(run["prob"]) == (n, n) and 0 <= np.min(run["prob"]) and np.max(run["prob"]) <= 1
    first = decision["runs"][0]["snapshots"][0]["prob"]  # step 0: the initial weights
    grid = np.array([[x, y] for y in ys for x in xs])
    np.testing.assert_allclose(first, model.predict_proba(w0, grid).reshape(n, n), rtol=1e-12)


def test_regression_defaults_to_mse_and_has_no_decision_grid(client):
    out = post(client, {"dataset": {"name": "regression", "n": 40, "params": {"rho": 0.8}},
                        "model": {"hidden": []}, "optimizers": [{"name": "gd", "lr": 0.1}], "steps": 5})
    assert out["model"]["loss"] == "mse" and out["model"]["n_params"] == 3
    assert out["decision"] is None and out["runs"][0]["accuracy"] is None
    assert out["runs"][0]["final"]["accuracy"] is None
    data = make_dataset("regression", n=40, seed=0, rho=0.8)
    w0 = MLP((), "tanh", "mse").init(0)
    f = data.X @ w0[:2] + w0[2]
    assert out["runs"][0]["loss"][0] == pytest.approx(0.5 * np.mean((f - data.y) ** 2), rel=1e-13)  # ½·mean


def test_datasets_catalogue(client):
    out = strict_json(client.get("/api/network/datasets").content)
    names = [d["name"] for d in out["datasets"]]
    assert names == ["moons", "circles", "xor", "spirals", "blobs", "regression"]
    moons = out["datasets"][0]
    assert moons["task"] == "classification" and [p["name"] for p in moons["params"]] == ["n", "seed", "noise"]
    assert moons["params"][0]["max"] == 5000
    assert out["activations"] == ["tanh", "relu", "sigmoid"] and out["losses"] == ["mse", "bce"]
    assert out["plane_methods"] == ["random", "hessian", "pca"]


def test_openapi_documents_the_network_shapes(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert spec["paths"][TRAIN]["post"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NetworkTrainResponse"}
    assert schemas["NetworkTrainRequest"]["examples"] and schemas["NetworkTrainResponse"]["examples"]
    assert "Bishop" in schemas["ModelSpec"]["properties"]["loss"]["description"]
    assert "application/x-ndjson" in spec["paths"][STREAM]["post"]["responses"]["200"]["content"]


# ---- divergence ------------------------------------------------------------------------------

def test_a_diverging_run_stops_cleanly_and_overflow_is_null(client):
    """lr = 100 on the regression set: the loss jumps from 0.75 to 1125 and then past 10⁴ × its
    initial value at step 2, where the divergence rule (engine.divergence) stops the run, long
    before anything overflows; the run keeps its finite records and nothing in the answer is NaN."""
    payload = {"dataset": {"name": "regression", "n": 50, "params": {"scale_ratio": 10}}, "model": {"hidden": [4]},
               "optimizers": [{"name": "gd", "lr": 100}, {"name": "gd", "lr": 0.01}], "steps": 80,
               "plane": {"method": "random", "n": 5, "span": 100}}
    response = client.post(TRAIN, json=payload)
    assert response.status_code == 200
    out = strict_json(response.content)  # no NaN / Infinity anywhere
    bad, good = out["runs"]
    assert bad["status"] == "diverged" and bad["diverged_at"] == 2 and bad["steps"] == [0, 1]
    assert bad["loss"][1] == pytest.approx(1125.35854451289, rel=1e-9) and bad["final"]["step"] == 1
    assert good["status"] == "ok" and good["steps"][-1] == 80
    loss = out["plane"]["loss"]
    assert loss[2][2] == pytest.approx(bad["final"]["loss"], rel=1e-9)
    assert all(v is not None for row in loss for v in row)
    stream = ndjson(client.post(STREAM, json=payload).text)
    assert stream[-1]["runs"][0] == {"status": "diverged", "diverged_at": 2, "final": bad["final"]}


def test_zero_lr_gives_a_null_two_over_eta(client):
    out = post(client, body(optimizers=[OPTS[0]], sharpness_every=5,
                            schedule={"name": "cosine", "t_max": 10, "eta_min": 0}))
    sharp = out["runs"][0]["sharpness"]
    assert sharp["steps"] == [0, 5, 10, 15, 20]
    assert sharp["eta"][2] == 0 and sharp["two_over_eta"][2] is None and sharp["two_over_eta"][0] == 4.0


def test_pca_without_two_recorded_points_is_a_422_not_a_crash(client):
    payload = {"dataset": {"name": "moons", "n": 40}, "optimizers": [{"name": "gd", "lr": 100}],
               "model": {"hidden": [4], "activation": "relu", "loss": "mse"}, "steps": 10, "record_every": 10,
               "plane": {"method": "pca"}}
    response = client.post(TRAIN, json=payload)
    assert response.status_code == 422
    assert "pca plane needs at least 2 recorded weight vectors" in response.json()["detail"][0]["msg"]
    last = ndjson(client.post(STREAM, json=payload).text)[-1]
    assert last["type"] == "error" and "at least 2 recorded" in last["detail"]


# ---- 422s ------------------------------------------------------------------------------------

BAD = [
    ({"model": {"hidden": [257]}}, ["body", "model", "hidden", 0], "less than or equal to 256"),
    ({"model": {"hidden": [2, 2, 2, 2, 2]}}, ["body", "model", "hidden"], "at most 4"),
    ({"dataset": {"name": "moons", "n": 5001}}, ["body", "dataset", "n"], "less than or equal to 5000"),
    ({"dataset": {"name": "mnist"}}, ["body", "dataset", "name"],
     "allowed: moons, circles, xor, spirals, blobs, regression"),
    ({"dataset": {"name": "circles", "params": {"factor": 2}}}, ["body", "dataset", "params", "factor"], "factor"),
    ({"model": {"activation": "gelu"}}, ["body", "model", "activation"], "'tanh', 'relu' or 'sigmoid'"),
    ({"model": {"loss": "hinge"}}, ["body", "model", "loss"], "'mse' or 'bce'"),
    ({"model": {"init": "orthogonal"}}, ["body", "model", "init"], "'he', 'xavier' or 'normal'"),
    ({"optimizers": [{"name": "newton"}]}, ["body"], "newton is not available for networks"),
    ({"optimizers": [{"name": "sgd"}]}, ["body", "optimizers", 0, "name"], "allowed: gd"),
    ({"steps": 5001}, ["body", "steps"], "less than or equal to 5000"),
    ({"plane": {"method": "tsne"}}, ["body", "plane", "method"], "'random', 'hessian' or 'pca'"),
    ({"plane": {"n": 102}}, ["body", "plane", "n"], "less than or equal to 101"),
    ({"plane": {"run": 3}}, ["body"], "plane.run = 3"),
    ({"dataset": {"name": "regression"}, "model": {"loss": "bce"}}, ["body"], "needs a classification dataset"),
    ({"learning_rate": 0.1}, ["body", "learning_rate"], "Extra inputs"),
    ({"model": {"hidden": [4], "dropout": 0.5}}, ["body", "model", "dropout"], "Extra inputs"),
    ({"dataset": {"name": "moons", "n": 5000}, "model": {"hidden": [256, 256]}, "plane": {"n": 101}},
     ["body"], "too much work"),
    ({"dataset": {"name": "moons", "n": 4}, "model": {"hidden": [256] * 4}, "steps": 5000},
     ["body", "record_every"], "too many recorded weights"),
]


@pytest.mark.parametrize(("change", "loc", "text"), BAD)
def test_bad_requests_are_422_naming_the_field(client, change, loc, text):
    payload = {**body(), **change}
    for path in (TRAIN, STREAM):  # the stream validates before it starts
        response = client.post(path, json=payload)
        assert response.status_code == 422, response.text
        detail = strict_json(response.content)["detail"]
        assert detail[0]["loc"] == loc and text in detail[0]["msg"], detail


def test_limits_from_settings_apply():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    small = create_app(Settings(max_hidden_width=8, max_depth=1, max_dataset_n=60))
    with TestClient(small) as client:
        for change, loc in [({"model": {"hidden": [9]}}, ["body", "model", "hidden", 0]),
                            ({"model": {"hidden": [2, 2]}}, ["body", "model", "hidden"]),
                            ({"dataset": {"name": "moons", "n": 61}}, ["body", "dataset", "n"])]:
            response = client.post(TRAIN, json={**body(), **change})
            assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc
        assert client.post(TRAIN, json=body(steps=2)).status_code == 200


def test_the_work_bound_names_the_limit_and_counts_every_part(client):
    detail = client.post(TRAIN, json={**body(), "dataset": {"name": "moons", "n": 5000},
                                      "steps": 5000}).json()["detail"][0]["msg"]
    assert "too much work" in detail and "the limit is 2e+10" in detail and "train" in detail
    out = post(client, body(sharpness_every=10, plane={"method": "hessian", "n": 5}, decision={"n": 4}))
    work = out["work"]
    c = 17 + 20 * 5  # d + 20·(hidden units + 1)
    assert work["train"] == 2 * 3 * 20 * 60 * c and work["record"] == 3 * 21 * 60 * c
    assert work["sharpness"] == 5 * 3 * 3 * 20 * 60 * c and work["decision"] == 3 * 16 * c
    assert work["plane"] == 25 * 60 * c + 5 * 30 * 60 * c
    assert work["total"] == sum(v for k, v in work.items() if k not in ("total", "limit")) <= work["limit"]


def test_auto_record_every_keeps_at_most_500_records(client):
    out = post(client, {"dataset": DATA, "model": NET, "optimizers": [OPTS[0]], "steps": 1200,
                        "decision": None})
    assert out["record_every"] == 3
    assert out["runs"][0]["steps"][:3] == [0, 3, 6] and out["runs"][0]["steps"][-1] == 1200
    assert len(out["runs"][0]["steps"]) == 401


# ---- disconnect ------------------------------------------------------------------------------

def test_leaving_a_network_stream_ends_it(live_server):
    payload = {"dataset": {"name": "spirals", "n": 500}, "model": {"hidden": [16, 16]},
               "optimizers": [{"name": "adam", "lr": 0.01}] * 2, "steps": 1500, "record_every": 10}
    with httpx.Client(base_url=live_server, timeout=60) as watcher:
        with httpx.Client(base_url=live_server, timeout=60) as streamer:
            with streamer.stream("POST", STREAM, json=payload) as response:
                assert response.status_code == 200
                lines = response.iter_lines()
                assert strict_json(next(lines))["type"] == "meta"
                assert strict_json(next(lines))["type"] == "chunk"
                assert watcher.get("/api/health").json()["active_streams"] >= 1
        polls = []
        for _ in range(40):
            polls.append(watcher.get("/api/health").json()["active_streams"])
            if polls[-1] == 0:
                break
            time.sleep(0.05)
        assert polls[-1] == 0, polls
