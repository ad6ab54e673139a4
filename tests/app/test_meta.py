"""GET /api/health, /api/surfaces, /api/optimizers: the catalogues hold the contract's names,
definitions and defaults."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from api_helpers import strict_json

REQUIRED_SURFACES = {
    "quadratic": {"kappa": 10, "theta": 0, "lam_min": 1},
    "saddle": {"a": 1, "b": 1},
    "monkey_saddle": {},
    "rosenbrock": {"a": 1, "b": 100},
    "himmelblau": {},
    "rastrigin": {},
    "beale": {},
    "six_hump_camel": {},
    "styblinski_tang": {},
}

# The contract's optimizer table (torch.optim defaults); weight_decay 0 for all but adamw and newton.
REQUIRED_OPTIMIZERS = {
    "gd": {"lr": 0.01, "weight_decay": 0.0},
    "momentum": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "nesterov": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "adagrad": {"lr": 0.01, "lr_decay": 0.0, "eps": 1e-10, "initial_accumulator_value": 0.0, "weight_decay": 0.0},
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False, "weight_decay": 0.0},
    "adam": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "weight_decay": 0.0},
    "adamw": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    "newton": {"lr": 1.0, "damping": 0.0},
}

REQUIRED_SCHEDULES = {
    "constant": set(), "step": {"step_size", "gamma"}, "exponential": {"gamma"}, "power": {"s", "c"},
    "cosine": {"t_max", "eta_min"}, "linear": {"start_factor", "end_factor", "total_iters"},
}


ROOT = Path(__file__).resolve().parents[2]


def test_health_reports_status_version_streams_and_limits(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = strict_json(response.content)
    # one version: pyproject.toml's, through the installed package's metadata (the page's footer too)
    assert body["status"] == "ok" and body["version"] == version("losslab") and body["active_streams"] == 0
    assert client.get("/openapi.json").json()["info"]["version"] == body["version"]
    tomllib_version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert body["version"] == tomllib_version
    limits = body["limits"]
    assert (limits["max_steps"], limits["max_optimizers"], limits["max_grid_n"]) == (20000, 12, 501)
    assert limits["max_body_bytes"] == 1 << 20


def test_responses_carry_security_headers(client):
    headers = client.get("/api/health").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.fixture(scope="module")
def surfaces(client):
    response = client.get("/api/surfaces")
    assert response.status_code == 200
    return {s["name"]: s for s in strict_json(response.content)["surfaces"]}


def test_surfaces_list_every_required_surface_with_params_and_defaults(surfaces):
    assert set(REQUIRED_SURFACES) <= set(surfaces)
    for name, defaults in REQUIRED_SURFACES.items():
        entry = surfaces[name]
        assert entry["title"] and entry["formula"], name
        assert {p["name"]: p["default"] for p in entry["params"]} == defaults, name
        for param in entry["params"]:
            assert {"name", "default", "min", "max", "description"} <= set(param), name
        (xlo, xhi), (ylo, yhi) = entry["domain"]["x"], entry["domain"]["y"]
        assert xlo < xhi and ylo < yhi, name
        assert all({"x", "y", "f"} <= set(point) for point in entry["minima"] + entry["saddles"]), name


@pytest.mark.parametrize("name, minimum", [
    ("quadratic", (0.0, 0.0, 0.0)),
    ("rosenbrock", (1.0, 1.0, 0.0)),
    ("himmelblau", (3.0, 2.0, 0.0)),
    ("rastrigin", (0.0, 0.0, 0.0)),
    ("beale", (3.0, 0.5, 0.0)),
    ("styblinski_tang", (-2.903534, -2.903534, -78.33233)),
])
def test_known_minima_are_listed(surfaces, name, minimum):
    listed = np.array([[m["x"], m["y"], m["f"]] for m in surfaces[name]["minima"]])
    assert np.min(np.max(np.abs(listed - minimum), axis=1)) < 1e-4, listed


def test_saddle_surfaces_list_their_saddles(surfaces):
    assert [(s["x"], s["y"], s["f"]) for s in surfaces["saddle"]["saddles"]] == [(0.0, 0.0, 0.0)]
    assert len(surfaces["himmelblau"]["saddles"]) == 4
    assert len(surfaces["himmelblau"]["minima"]) == 4


def test_optimizers_follow_the_contract_table(client):
    body = strict_json(client.get("/api/optimizers").content)
    optimizers = {o["name"]: o for o in body["optimizers"]}
    assert set(REQUIRED_OPTIMIZERS) <= set(optimizers)
    for name, defaults in REQUIRED_OPTIMIZERS.items():
        params = {p["name"]: p["default"] for p in optimizers[name]["params"]}
        assert {k: params.get(k) for k in defaults} == defaults, name
        assert optimizers[name]["rule"], name  # LaTeX of the update
        if name not in ("adamw", "newton"):
            assert "weight_decay" in params, name
    assert "weight_decay" not in {p["name"] for p in optimizers["newton"]["params"]}
    assert optimizers["adam"]["torch"].startswith("torch.optim.Adam(")
    lr = next(p for p in optimizers["gd"]["params"] if p["name"] == "lr")
    assert lr["min"] == 0 and lr["max"] == 100


def test_schedules_follow_the_contract_table(client):
    body = strict_json(client.get("/api/optimizers").content)
    schedules = {s["name"]: {p["name"] for p in s["params"]} for s in body["schedules"]}
    assert {name: schedules.get(name) for name in REQUIRED_SCHEDULES} == REQUIRED_SCHEDULES


def test_catalogues_are_deterministic(client):
    for path in ("/api/surfaces", "/api/optimizers"):
        assert client.get(path).content == client.get(path).content


def csp_sources(header: str) -> dict[str, set[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {d[0]: set(d[1:]) for d in directives}


def test_docs_pages_are_offline_and_allowed_to_load_what_they_reference(client):
    """/docs and /redoc load their bundles from this server (fastapi-offline), never a CDN, and
    start them inline; their CSP must admit exactly that, or the manual renders blank."""
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text
        policy = csp_sources(response.headers["content-security-policy"])
        assert policy["script-src"] == {"'self'", "'unsafe-inline'"}
        for src in (s.split('"')[0] for s in response.text.split('src="')[1:]):
            assert src.startswith("/"), (path, src)
            assert client.get(src).status_code == 200, src
        assert "'unsafe-inline'" in policy["script-src"] or "<script>" not in response.text
        assert policy["frame-ancestors"] == {"'none'"}
    api = csp_sources(client.get("/api/health").headers["content-security-policy"])
    assert api["script-src"] == {"'self'"}


def test_importing_the_app_leaves_blas_alone():
    """No import side effect: neither the client nor app.main sets OPENBLAS_NUM_THREADS; the server's
    entry points do (test_cli.py: `losslab serve` sets it before importing the app)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    code = "import os, {}; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    out = [subprocess.run([sys.executable, "-c", code.format(module)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout.strip() for module in ("app.client", "app.main")]
    assert out == ["None", "None"]
