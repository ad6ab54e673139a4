"""POST /api/sweep and /api/sweep/stream: validation, price, exactness against single calls,
streaming order and cancellation (on the app's own LocalCluster)."""

from __future__ import annotations

import json
import threading
import time
import warnings

import pytest

with warnings.catch_warnings():  # starlette's TestClient warns that it wants httpx2; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.sweep.cluster import RETRY_AFTER, SweepCluster

NET = {"dataset": {"name": "moons", "n": 60, "seed": 2}, "model": {"hidden": [6], "seed": 1},
       "optimizers": [{"name": "momentum", "lr": 0.1, "momentum": 0.9}], "steps": 30}
SWEEP = {"base": {"kind": "network", "request": NET},
         "axes": [{"path": "optimizers.0.lr", "range": {"min": 0.05, "max": 5.0, "n": 3, "log": True}},
                  {"path": "optimizers.0.momentum", "values": [0.0, 0.9]}],
         "seeds": {"count": 2}, "target_loss": 0.4}


def sweep_with(**changes):
    return {**SWEEP, **changes}


@pytest.fixture(autouse=True, scope="module")
def cluster_up(client):
    """Start the app's LocalCluster once, blocking: a sweep request never waits for a cold start (503)."""
    client.app.state.sweeps.client()


@pytest.mark.parametrize("body, loc, words", [
    (sweep_with(axes=[{"path": "optimizers.0.lr", "values": [200.0]}]), ["body", "axes", 0], "less than or equal"),
    (sweep_with(axes=[{"path": "optimizers.0.bogus", "values": [1.0]}]), ["body", "axes", 0], "unknown field"),
    (sweep_with(axes=[{"path": "optimizers.0.name", "values": [1.0]}]), ["body", "axes", 0, "path"], "non-numeric"),
    (sweep_with(axes=[{"path": "optimizers.2.lr", "values": [1.0]}]), ["body", "axes", 0, "path"], "index 2"),
    (sweep_with(axes=[{"path": "model.hidden.0", "values": [0]}]), ["body", "axes", 0], "greater than"),
    (sweep_with(seeds={"count": 2, "vary": ["noise"]}), ["body", "seeds", "vary"], "not seeds"),
    (sweep_with(seeds={"count": 65}), ["body", "seeds", "count"], "LOSSLAB_MAX_SWEEP_SEEDS"),
    (sweep_with(axes=[{"path": "optimizers.0.lr", "range": {"min": 1, "max": 2, "n": 200}}]),
     ["body", "axes", 0, "range", "n"], "less than or equal"),
    (sweep_with(base={"kind": "network", "request": {**NET, "optimizers": [{"name": "gd"}, {"name": "adam"}]}}),
     ["body", "base", "request", "optimizers"], "exactly one optimizer"),
    (sweep_with(base={"kind": "network", "request": {**NET, "steps": 0}}), ["body", "base", "request", "steps"],
     "greater than"),
    (sweep_with(axes=[{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 1, "n": 101}},
                      {"path": "optimizers.0.momentum", "range": {"min": 0, "max": 0.9, "n": 101}}]),
     ["body", "axes"], "max_sweep_cells"),
    (sweep_with(base={"kind": "network", "request": {**NET, "dataset": {"name": "moons", "n": 2000},
                                                     "model": {"hidden": [32, 32]}, "steps": 1000}},
                axes=[{"path": "optimizers.0.lr", "values": [0.1]}], seeds={"count": 64}), ["body"], "max_sweep_work"),
])
def test_bad_sweeps_are_422_naming_the_axis_or_the_limit(client, body, loc, words):
    response = client.post("/api/sweep", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][:len(loc)] == loc and words in detail["msg"], detail


def seeded(request, j):
    out = json.loads(json.dumps(request))
    out["model"]["seed"] = request["model"].get("seed", 0) + j
    out["dataset"]["seed"] = request["dataset"].get("seed", 0) + j
    out["shuffle_seed"] = request.get("shuffle_seed", 0) + j
    return out


def test_sampled_network_cells_equal_single_train_calls(client):
    response = client.post("/api/sweep", json=SWEEP)
    assert response.status_code == 200, response.text
    out = response.json()
    assert [a["path"] for a in out["axes"]] == ["optimizers.0.lr", "optimizers.0.momentum"]
    assert [c["index"] for c in out["cells"]] == [[i, j] for i in range(3) for j in range(2)]
    assert out["meta"]["cells"] == 6 and out["meta"]["trainings"] == 12 and out["meta"]["workers"]
    for cell in (out["cells"][1], out["cells"][4]):
        for entry in cell["seeds"]:
            request = seeded(NET, entry["replicate"])
            request["optimizers"] = [{"name": "momentum", "lr": cell["values"]["optimizers.0.lr"],
                                      "momentum": cell["values"]["optimizers.0.momentum"]}]
            single = client.post("/api/network/train", json={**request, "decision": None}).json()["runs"][0]
            assert entry["final_loss"] == single["final"]["loss"]
            assert entry["accuracy"] == single["final"]["accuracy"]
            assert entry["best_loss"] == min(single["loss"])
            assert (entry["status"] == "diverged") == (single["status"] == "diverged")
            reached = [s for s, v in zip(single["steps"], single["loss"], strict=True) if v <= 0.4]
            assert entry["steps_to_target"] == (reached[0] if reached else None)


def test_a_2d_run_sweep_equals_single_run_calls(client):
    base = {"surface": {"name": "rosenbrock"}, "start": [-1.5, 2.0], "steps": 150,
            "optimizers": [{"name": "adam", "lr": 0.1}], "noise": {"sigma": 0.5, "seed": 3}}
    body = {"base": {"kind": "run", "request": base}, "axes": [{"path": "optimizers.0.lr", "values": [0.01, 0.3]},
                                                               {"path": "start.0", "values": [-1.5, 1.5]}],
            "seeds": {"count": 2}, "target_loss": 1.0}
    out = client.post("/api/sweep", json=body).json()
    cell = out["cells"][3]
    for entry in cell["seeds"]:
        single = client.post("/api/run", json={
            **base, "start": [1.5, 2.0], "optimizers": [{"name": "adam", "lr": 0.3}],
            "noise": {"sigma": 0.5, "seed": 3 + entry["replicate"]}}).json()["runs"][0]
        assert entry["final_loss"] == single["loss"][-1] and entry["best_loss"] == min(single["loss"])
        assert entry["final_point"] == single["path"][-1] and entry["status"] == single["status"]
        assert entry["accuracy"] is None and entry["minimum"] in (-2, -1, 0)


def read_stream(client, body):
    with client.stream("POST", "/api/sweep/stream", json=body) as response:
        assert response.status_code == 200
        return [json.loads(line) for line in response.iter_lines() if line]


def test_the_stream_sends_meta_every_cell_once_then_done_with_the_same_numbers(client):
    lines = read_stream(client, SWEEP)
    assert lines[0]["type"] == "meta" and lines[0]["cells"] == 6 and lines[-1]["type"] == "done"
    cells = [line for line in lines[1:-1]]
    assert all(line["type"] == "cell" for line in cells)
    assert sorted(tuple(c["index"]) for c in cells) == [(i, j) for i in range(3) for j in range(2)]
    whole = {tuple(c["index"]): c for c in client.post("/api/sweep", json=SWEEP).json()["cells"]}
    for cell in cells:
        cell.pop("type")
        assert cell == whole[tuple(cell["index"])]
    assert lines[-1]["meta"]["trainings"] == 12 and lines[-1]["meta"]["tasks"] >= 1


def sweep_tasks(client):
    dask = client.app.state.sweeps.client()
    return dask.run_on_scheduler(lambda dask_scheduler: [
        str(k) for k, ts in dask_scheduler.tasks.items() if str(k).startswith("sweep-") and ts.state != "memory"])


def test_a_disconnect_cancels_the_remaining_tasks(client):
    # over a minute of work on two workers: a disconnect after the first line must not wait for it
    big = {**NET, "dataset": {"name": "moons", "n": 200}, "model": {"hidden": [16, 16]}, "steps": 500}
    body = sweep_with(base={"kind": "network", "request": big},
                      axes=[{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 1.0, "n": 100, "log": True}}],
                      seeds={"count": 4})
    with client.stream("POST", "/api/sweep/stream", json=body) as response:
        lines = response.iter_lines()
        assert json.loads(next(lines))["type"] == "meta"
        # the submission reaches the scheduler asynchronously: wait (bounded) until it has the tasks
        deadline = time.monotonic() + 30
        while not sweep_tasks(client) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sweep_tasks(client)  # submitted and running
    deadline = time.monotonic() + 30
    while sweep_tasks(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sweep_tasks(client) == []


def test_cluster_status_lists_the_workers_that_computed(client):
    client.post("/api/sweep", json=SWEEP)  # the cluster is up after a sweep
    status = client.get("/api/sweep/cluster").json()
    assert status["ready"] is True and status["scheduler"].startswith("tcp://127.0.0.1:")
    assert len(status["workers"]) >= 1 and all(w.startswith("tcp://127.0.0.1:") for w in status["workers"])


class NeverStarts(SweepCluster):
    """A cluster whose start takes until the test ends (as a cold LocalCluster under load does)."""

    gate = threading.Event()

    def client(self):
        self.gate.wait(60)
        raise RuntimeError("not started in this test")


BIG = sweep_with(base={"kind": "network", "request": {**NET, "dataset": {"name": "moons", "n": 500},
                                                      "model": {"hidden": [16, 16]}, "steps": 3000}},
                 axes=[{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 1.0, "n": 5, "log": True}}],
                 seeds={"count": 4})  # ~16 s of estimate: over one request's budget


def test_a_cold_cluster_never_makes_a_sweep_wait(client):
    """While the cluster starts, a sweep within one request's budget is computed in-process (the same
    numbers as on Dask), a bigger one is a 503 with Retry-After at once, a bad body still a 422."""
    app = create_app(Settings())
    app.state.sweeps = NeverStarts()
    try:
        with TestClient(app) as cold:
            small = cold.post("/api/sweep", json=SWEEP)  # the old code waited here until the start ended
            assert small.status_code == 200 and small.json()["meta"]["workers"] == []
            assert small.json()["cells"] == client.post("/api/sweep", json=SWEEP).json()["cells"]  # on Dask
            lines = [json.loads(line) for line in cold.post("/api/sweep/stream", json=SWEEP).text.splitlines()]
            assert lines[0]["type"] == "meta" and lines[-1]["type"] == "done" and len(lines) == 8
            for url in ("/api/sweep", "/api/sweep/stream"):
                response = cold.post(url, json=BIG)
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == str(RETRY_AFTER)
                assert "not connected yet" in response.json()["detail"]
            bad = cold.post("/api/sweep", json=sweep_with(axes=[{"path": "optimizers.0.lr", "values": [200.0]}]))
            assert bad.status_code == 422
            assert cold.get("/api/sweep/cluster").json()["ready"] is False
    finally:
        NeverStarts.gate.set()


QUAD = {"surface": {"name": "quadratic", "params": {"kappa": 10.0}}, "start": [-4.0, 2.0], "steps": 60,
        "optimizers": [{"name": "momentum", "lr": 0.1, "momentum": 0.5}]}


def test_a_quadratic_run_sweep_carries_phase_theory_boundary(client):
    axes = [{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 1.0, "n": 4, "log": True}},
            {"path": "optimizers.0.momentum", "range": {"min": 0.0, "max": 0.9, "n": 3}}]
    lines = read_stream(client, {"base": {"kind": "run", "request": QUAD}, "axes": axes})
    theory = lines[0]["theory"]
    phase = client.post("/api/phase", json={
        "surface": QUAD["surface"], "start": QUAD["start"], "steps": 60, "optimizer": {"name": "momentum"},
        "axes": {"lr": {"min": 0.01, "max": 1.0, "n": 4, "log": True},
                 "momentum": {"min": 0.0, "max": 0.9, "n": 3}}}).json()["theory"]
    assert theory["boundary"] == phase["boundary"] and theory["optimum"] == phase["optimum"]
    # [y][x], as the heatmap's z (the sweep's log-spaced η may differ from Phase's in the last bit)
    assert theory["predicted_rate"] == [pytest.approx(row, rel=1e-12) for row in phase["predicted_rate"]]
    assert theory["boundary"][0]["kind"] == "stability" and theory["boundary"][0]["x"][0] == 0.2  # 2/λmax
    adam = {**QUAD, "optimizers": [{"name": "adam", "betas": [0.9, 0.999]}]}
    not_linear = read_stream(client, {"base": {"kind": "run", "request": adam},
                                      "axes": [{"path": "optimizers.0.lr", "values": [0.01, 0.1]},
                                               {"path": "optimizers.0.betas.0", "values": [0.5, 0.9]}]})
    assert not_linear[0]["theory"] is None
    assert read_stream(client, SWEEP)[0]["theory"] is None  # networks: no closed form
