"""The app's lifespan loads the compiled code in the background: the stepping kernels, then the
network's layers; the server answers meanwhile. sympy is imported by the first formula only."""

from __future__ import annotations

import threading
import time
import warnings

import app.main as main_module

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_lifespan_warms_kernels_then_network_layers_without_holding_up_requests(monkeypatch):
    release, calls = threading.Event(), []

    def stepping() -> bool:
        calls.append("stepping")
        release.wait(10)  # still loading while the request below is answered
        return True

    monkeypatch.setattr(main_module.kernels, "warm", stepping)
    monkeypatch.setattr(main_module.network_layers, "warm", lambda: calls.append("network") or True)
    with TestClient(main_module.create_app()) as client:
        try:
            assert client.get("/api/health").status_code == 200
            assert calls == ["stepping"]
        finally:
            release.set()
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert calls == ["stepping", "network"]


def test_a_request_without_a_formula_does_not_import_the_formula_compiler(monkeypatch):
    """The formula compiler imports sympy (~0.8 s): a run on a registered surface must not wait for it
    (it did: app.compute imported it on the event loop for every request)."""
    import sys

    from app.schemas.runs import DEFAULT_SCENE

    monkeypatch.setitem(sys.modules, "engine.surfaces.formula_compile", None)  # importing it raises
    client = TestClient(main_module.create_app(), raise_server_exceptions=False)  # no lifespan: no warm-up
    assert client.post("/api/run", json=DEFAULT_SCENE).status_code == 200
    formula = {**DEFAULT_SCENE, "surface": {"name": "custom", "expr": "x**2 + y**2"}}
    assert client.post("/api/run", json=formula).status_code != 200  # the check can fail: a formula imports it
