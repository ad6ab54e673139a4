"""`losslab serve`: what it hands uvicorn."""

from __future__ import annotations

import uvicorn

from app import cli


def test_serve_runs_uvicorn_with_the_c_http_parser(monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    cli.main(["serve", "--port", "8123"])
    (args, kwargs), = calls
    assert args == ("app.main:app",)
    assert kwargs["http"] == "httptools" and kwargs["port"] == 8123 and kwargs["host"] == "127.0.0.1"
