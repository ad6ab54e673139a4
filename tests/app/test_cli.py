"""`losslab serve`: what it hands uvicorn."""

from __future__ import annotations

import os

import uvicorn

from app import cli


def test_serve_runs_uvicorn_with_the_c_http_parser_and_one_blas_thread(monkeypatch):
    calls = []
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "")  # recorded, so the test's own setting is undone after
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs, dict(os.environ))))
    cli.main(["serve", "--port", "8123"])
    (args, kwargs, env), = calls
    assert args == ("app.main:app",)
    assert kwargs["http"] == "httptools" and kwargs["port"] == 8123 and kwargs["host"] == "127.0.0.1"
    assert env["OPENBLAS_NUM_THREADS"] == "1"  # set before uvicorn imports the app (and numpy loads BLAS)


def test_an_explicit_blas_setting_wins(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    cli.main(["serve"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"
