"""Fixtures for the API tests: an in-process client over the ASGI app and a live uvicorn server
(loopback only) for the concurrency and disconnect tests. Helpers live in api_helpers.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():  # starlette's TestClient warns that it wants httpx2; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app.main import app as asgi_app

ROOT = Path(__file__).resolve().parents[2]

@pytest.fixture(scope="session")
def client():
    """Synchronous client calling the ASGI app in-process (server exceptions propagate as errors)."""
    with TestClient(asgi_app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    """`uvicorn app.main:app` in a subprocess on a free loopback port; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        for _ in range(200):  # bounded wait for start-up (imports take a second or two)
            if proc.poll() is not None:
                break
            try:
                if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not answer /api/health")
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"uvicorn exited early:\n{log.read().decode(errors='replace')}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
