"""POST /api/run/stream: NDJSON framing, chunk order and offsets, and equivalence with /api/run
(joining a run's chunks gives exactly its arrays) over several scenes."""

from __future__ import annotations

import pytest
from api_helpers import ALL_OPTIMIZERS, ndjson, strict_json

SCENES = {
    "default": {
        "surface": {"name": "quadratic", "params": {"kappa": 50, "theta": 30}}, "start": [-4.0, 2.0], "steps": 200,
        "optimizers": [{"name": "gd", "lr": 0.03}, {"name": "momentum", "lr": 0.01, "momentum": 0.9},
                       {"name": "nesterov", "lr": 0.01, "momentum": 0.9}, {"name": "adam", "lr": 0.3}],
    },
    # gd: x_t = (0.95^t·x0, (−1.5)^t·y0); f_t ≈ 25·y_t² first exceeds the loss ceiling 10⁴·637.5 (10⁴ × the
    # highest value in view, engine.divergence) at t = 14, so 13 updates are kept (|x_t| > 1e6 only at t = 33)
    "diverging": {
        "surface": {"name": "quadratic", "params": {"kappa": 50}}, "start": [-4.0, 2.0], "steps": 300,
        "optimizers": [{"name": "gd", "lr": 0.05}, {"name": "momentum", "lr": 0.01}, {"name": "adam", "lr": 0.1}],
    },
    "schedule_and_noise": {
        "surface": {"name": "rosenbrock"}, "start": [-1.5, 2.0], "steps": 500,
        "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "rmsprop", "lr": 0.01},
                       {"name": "gd", "lr": 0.001}, {"name": "adagrad", "lr": 0.5}],
        "schedule": {"name": "step", "step_size": 50, "gamma": 0.8},
        "noise": {"sigma": 0.3, "seed": 5},
    },
    "every_optimizer": {
        "surface": {"name": "himmelblau"}, "start": [0.5, -0.5], "steps": 150,
        "optimizers": [{"name": n, "lr": 0.005} for n in ALL_OPTIMIZERS],
        "schedule": {"name": "cosine", "t_max": 60, "eta_min": 0.001},
    },
    "one_step": {"surface": {"name": "saddle"}, "start": [1.0, 1e-3], "steps": 1, "optimizers": [{"name": "gd"}]},
}
ARRAYS = ("path", "loss", "grad_norm", "lr")


def stream(client, body: dict) -> list[dict]:
    response = client.post("/api/run/stream", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/x-ndjson"
    return ndjson(response.text)


def join_chunks(lines: list[dict], n_runs: int) -> list[dict]:
    """Concatenate each run's chunks, asserting they arrive in order with contiguous offsets."""
    joined = [{key: [] for key in ARRAYS} for _ in range(n_runs)]
    for line in lines:
        run = joined[line["run"]]
        assert line["offset"] == len(run["path"]), "a chunk starts where the previous one ended"
        assert len(line["path"]) == len(line["loss"]) == len(line["grad_norm"]) >= 1
        # lr[k] produced path[k]: the first chunk (holding the start) has one lr fewer
        assert len(line["lr"]) == len(line["path"]) - (1 if line["offset"] == 0 else 0)
        for key in ARRAYS:
            run[key] += line[key]
    return joined


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_joined_chunks_equal_the_run_response(client, scene):
    body = SCENES[scene]
    whole = strict_json(client.post("/api/run", json=body).content)
    lines = stream(client, body)
    meta, chunks, done = lines[0], lines[1:-1], lines[-1]

    assert meta["type"] == "meta"
    for key in ("surface", "start", "steps", "schedule"):
        assert meta[key] == whole[key], key
    assert [r["optimizer"] for r in meta["runs"]] == [r["optimizer"] for r in whole["runs"]]
    assert all(line["type"] == "chunk" for line in chunks)
    assert done["type"] == "done"

    joined = join_chunks(chunks, len(body["optimizers"]))
    for i, (got, want) in enumerate(zip(joined, whole["runs"], strict=True)):
        for key in ARRAYS:
            assert got[key] == want[key], (scene, i, key)  # exactly, not approximately
    assert [{"status": r["status"], "steps_taken": r["steps_taken"]} for r in whole["runs"]] == \
        [{"status": r["status"], "steps_taken": r["steps_taken"]} for r in done["runs"]]


def test_meta_theory_matches_the_run_theory_without_measurements(client):
    body = SCENES["default"]
    whole = strict_json(client.post("/api/run", json=body).content)["theory"]
    meta = stream(client, body)[0]["theory"]
    strip = [{k: v for k, v in run.items() if k != "measured_rate"} for run in whole["runs"]]
    assert {**meta, "runs": [{k: v for k, v in r.items() if k != "measured_rate"} for r in meta["runs"]]} == \
        {**whole, "runs": strip}


def test_diverging_stream_stops_its_run_and_reports_it(client):
    lines = stream(client, SCENES["diverging"])
    done = lines[-1]
    assert [r["status"] for r in done["runs"]] == ["diverged", "max_steps", "max_steps"]
    assert [r["steps_taken"] for r in done["runs"]] == [13, 300, 300]
    gd_chunks = [line for line in lines[1:-1] if line["run"] == 0]
    assert sum(len(c["path"]) for c in gd_chunks) == 14


def test_long_streams_come_in_many_chunks(client):
    body = {**SCENES["default"], "steps": 2000}
    lines = stream(client, body)
    per_run = [sum(1 for line in lines if line.get("run") == i and line["type"] == "chunk") for i in range(4)]
    assert all(count >= 2000 // 64 for count in per_run), per_run  # about 64 steps (or 20 ms) per chunk


def test_stream_is_deterministic(client):
    body = SCENES["schedule_and_noise"]
    first = client.post("/api/run/stream", json=body).content
    # chunk boundaries may follow the clock (20 ms), so compare the joined content, not the bytes
    second = client.post("/api/run/stream", json=body).content
    a, b = ndjson(first.decode()), ndjson(second.decode())
    assert a[0] == b[0] and a[-1] == b[-1]
    assert join_chunks(a[1:-1], 4) == join_chunks(b[1:-1], 4)


def test_bad_stream_request_is_a_422_before_any_line(client):
    response = client.post("/api/run/stream", json={**SCENES["default"], "steps": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert strict_json(response.content)["detail"][0]["loc"] == ["body", "steps"]


def test_a_failure_midway_ends_the_stream_with_an_error_line(client, monkeypatch):
    """Headers are sent with the meta line, so a later failure is reported in-band."""
    import app.api.routes.runs as runs_module

    real = runs_module.iterate_runs

    def failing(*args, **kwargs):
        chunks = real(*args, **kwargs)
        yield next(chunks)
        raise FloatingPointError("engine blew up")

    monkeypatch.setattr(runs_module, "iterate_runs", failing)
    lines = stream(client, SCENES["default"])
    assert [line["type"] for line in lines] == ["meta", "chunk", "error"]
    assert "engine blew up" in lines[-1]["detail"]
    assert strict_json(client.get("/api/health").content)["active_streams"] == 0
