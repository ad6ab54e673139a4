"""The Python client (app/client.py) against the ASGI app in-process: numbers, shapes and errors."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from app.client import (
    ApiError,
    Client,
    StreamError,
    format_detail,
    noise_spec,
    optimizer_specs,
    run_body,
    surface_ref,
)
from app.main import app
from app.schemas.runs import DEFAULT_SCENE


@pytest.fixture(scope="module")
def api():
    with Client.for_app(app) as client:
        yield client


def test_gd_path_is_the_closed_form(api):
    # x_t = (I − ηH)^t x_0 on a quadratic; H comes from /api/point (exact, constant)
    surface = ("quadratic", {"kappa": 25, "theta": 30})
    result = api.run(surface, ("gd", {"lr": 0.05}), start=[-4.0, 2.0], steps=100)
    run = result[0]
    H = api.point(surface, [0.0, 0.0])["hessian"]
    x0 = np.array([-4.0, 2.0])
    expected = np.array([np.linalg.matrix_power(np.eye(2) - 0.05 * H, t) @ x0 for t in range(101)])
    assert run.path.shape == (101, 2) and run.loss.shape == (101,) and run.lr.shape == (100,)
    np.testing.assert_allclose(run.path, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.loss, 0.5 * np.einsum("ti,ij,tj->t", expected, H, expected), rtol=1e-12)
    np.testing.assert_allclose(run.grad_norm, np.linalg.norm(expected @ H, axis=1), rtol=1e-12)
    assert np.all(run.lr == 0.05)
    assert result.statuses == ["max_steps"] and run.steps_taken == 100
    # theory: κ = 25, λmin = 1 → η_max = 2/25, GD's rate max|1 − ηλ| = 1 − 0.05
    assert result.theory["kappa"] == pytest.approx(25.0)
    assert result.theory["eta_max_stable_gd"] == pytest.approx(0.08)
    assert result.theory["runs"][0]["predicted_rate"] == pytest.approx(0.95)


def test_run_accepts_names_pairs_and_dicts(api):
    result = api.run("quadratic", ["gd", ("momentum", {"lr": 0.02, "momentum": 0.5}),
                                   {"name": "adam", "lr": 0.1, "label": "Adam fast"}], start=(1, 1), steps=20)
    assert [r.optimizer["name"] for r in result] == ["gd", "momentum", "adam"]
    assert result.labels == ["gd", "momentum", "Adam fast"]
    assert result[0].optimizer["lr"] == 0.01  # torch's default
    assert result[1].optimizer["momentum"] == 0.5 and result[1].lr[0] == 0.02
    assert len(result) == 3 and all(r.path.shape == (21, 2) for r in result)
    np.testing.assert_array_equal(result.start, [1.0, 1.0])


def test_divergence_is_reported_and_arrays_stay_finite(api):
    # quadratic κ = 10, λmax = 10: η = 0.3 > 2/λmax, |1 − 3| = 2 per step → diverges
    result = api.run(("quadratic", {"kappa": 10}), ("gd", {"lr": 0.3}), start=[1.0, 1.0], steps=200)
    run = result[0]
    assert run.status == "diverged"
    assert run.steps_taken == len(run.path) - 1 < 200
    assert np.all(np.isfinite(run.path)) and np.all(np.linalg.norm(run.path, axis=1) <= 1e6)


def test_schedule_and_noise_conveniences(api):
    a = api.run("himmelblau", "gd", start=[0, 0], steps=30, schedule=("step", {"step_size": 10, "gamma": 0.5}),
                noise=0.5)
    b = api.run("himmelblau", "gd", start=[0, 0], steps=30, schedule={"name": "step", "step_size": 10, "gamma": 0.5},
                noise=(0.5, 0))
    np.testing.assert_array_equal(a[0].path, b[0].path)
    np.testing.assert_allclose(a[0].lr, 0.01 * 0.5 ** (np.arange(30) // 10), rtol=1e-15)
    c = api.run("himmelblau", "gd", start=[0, 0], steps=30, noise={"sigma": 0.5, "seed": 1})
    assert not np.array_equal(a[0].path, c[0].path)


def test_stream_chunks_join_to_the_run(api):
    scene = DEFAULT_SCENE
    args = dict(surface=scene["surface"], optimizers=scene["optimizers"], start=scene["start"], steps=300)
    lines = list(api.stream(**args))
    assert lines[0]["type"] == "meta" and lines[-1]["type"] == "done"
    chunks = [line for line in lines if line["type"] == "chunk"]
    for i in range(len(scene["optimizers"])):
        offsets = [(c["offset"], len(c["path"])) for c in chunks if c["run"] == i]
        assert offsets[0][0] == 0
        assert all(o2 == o1 + n1 for (o1, n1), (o2, _) in zip(offsets, offsets[1:], strict=False))
    assert all(isinstance(c["path"], np.ndarray) and c["path"].shape[1] == 2 for c in chunks)
    streamed, whole = api.stream_run(**args), api.run(**args)
    assert streamed.statuses == whole.statuses
    for s, w in zip(streamed, whole, strict=True):
        for key in ("path", "loss", "grad_norm", "lr"):
            np.testing.assert_array_equal(getattr(s, key), getattr(w, key))


def test_stream_can_be_abandoned(api):
    stream = api.stream("rosenbrock", ["adam", "gd"], steps=20000)
    first = next(stream)
    assert first["type"] == "meta" and first["steps"] == 20000
    stream.close()  # closes the response; the next call still works
    assert api.health()["status"] == "ok"


def test_grid_layout(api):
    grid = api.grid(("saddle", {"a": 2, "b": 1}), n=5, domain={"x": [-1, 1], "y": [0, 2]})
    np.testing.assert_array_equal(grid.x, [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(grid.y, [0, 0.5, 1, 1.5, 2])
    expected = 0.5 * (2 * grid.x[None, :] ** 2 - grid.y[:, None] ** 2)  # z[i, j] = f(x[j], y[i])
    np.testing.assert_allclose(grid.z, expected, rtol=0, atol=1e-15)
    assert grid.zmin == pytest.approx(-2.0) and grid.zmax == pytest.approx(1.0)


def test_point_geometry(api):
    geo = api.point({"name": "saddle", "params": {"a": 1, "b": 3}}, np.array([1.0, 2.0]))
    assert geo["f"] == pytest.approx(0.5 * (1 - 3 * 4))
    np.testing.assert_allclose(geo["grad"], [1.0, -6.0])
    np.testing.assert_allclose(geo["hessian"], [[1, 0], [0, -3]])
    np.testing.assert_allclose(geo["eigenvalues"], [-3, 1])
    np.testing.assert_allclose(np.abs(geo["eigenvectors"]), [[0, 1], [1, 0]], atol=1e-12)
    assert geo["curvature"] == "indefinite"


def test_catalogues(api):
    surfaces = {s["name"]: s for s in api.surfaces()}
    assert {"quadratic", "himmelblau", "rosenbrock"} <= set(surfaces)
    assert len(surfaces["himmelblau"]["minima"]) == 4
    names = [o["name"] for o in api.optimizers()]
    assert {"gd", "momentum", "nesterov", "adam"} <= set(names)
    assert "constant" in [s["name"] for s in api.schedules()]


def test_errors_carry_the_api_message(api):
    with pytest.raises(ApiError) as err:
        api.run("nope", "gd", steps=10)
    assert err.value.status == 422 and "unknown surface 'nope'" in str(err.value)
    assert "himmelblau" in str(err.value) and isinstance(err.value.detail, list)

    with pytest.raises(ApiError) as err:
        api.run("quadratic", "gd", steps=0)
    assert err.value.status == 422 and "steps" in str(err.value)

    with pytest.raises(ApiError) as err:
        api.run("quadratic", ["gd"] * 13, steps=5)
    assert err.value.status == 422 and "optimizers" in str(err.value)

    with pytest.raises(ApiError) as err:  # a stream fails before its first line
        next(api.stream("quadratic", "sgdx", steps=5))
    assert err.value.status == 422 and "unknown optimizer 'sgdx'" in str(err.value)

    with pytest.raises(ApiError) as err:  # body over 1 MiB
        api.post("/api/grid", {"surface": {"name": "quadratic"}, "pad": "x" * (1 << 20)})
    assert err.value.status == 413 and "exceeds" in str(err.value)


def test_non_json_errors_and_in_band_stream_errors():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/health":
            return httpx.Response(502, text="bad gateway")
        lines = b'{"type":"meta","runs":[]}\n{"type":"error","detail":"RuntimeError: boom"}\n'
        return httpx.Response(200, content=lines, headers={"content-type": "application/x-ndjson"})

    client = Client(http=httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api.test"))
    with pytest.raises(ApiError) as err:
        client.health()
    assert err.value.status == 502 and err.value.detail == "bad gateway"
    with pytest.raises(StreamError) as err:
        list(client.stream("quadratic", "gd"))
    assert err.value.detail == "RuntimeError: boom"


def test_request_conveniences():
    assert surface_ref("himmelblau") == {"name": "himmelblau"}
    assert surface_ref(("quadratic", {"kappa": 5})) == {"name": "quadratic", "params": {"kappa": 5}}
    assert optimizer_specs("gd") == [{"name": "gd"}]
    assert optimizer_specs(("adam", {"lr": 0.1})) == [{"name": "adam", "lr": 0.1}]
    assert optimizer_specs(["gd", ("adam", {"lr": 0.1})]) == [{"name": "gd"}, {"name": "adam", "lr": 0.1}]
    assert noise_spec(0.2) == {"sigma": 0.2, "seed": 0} and noise_spec((0.2, 7)) == {"sigma": 0.2, "seed": 7}
    body = run_body("quadratic", "gd", start=np.array([1, 2]), steps=5, schedule="constant")
    assert body == {"surface": {"name": "quadratic"}, "optimizers": [{"name": "gd"}], "steps": 5,
                    "start": [1.0, 2.0], "schedule": {"name": "constant"}}
    detail = [{"loc": ["body", "steps"], "msg": "Input should be greater than or equal to 1"}]
    assert format_detail(detail) == "body.steps: Input should be greater than or equal to 1"
