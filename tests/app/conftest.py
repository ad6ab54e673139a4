"""Fixtures for the API tests: an in-process client over the ASGI app and a live uvicorn server
(loopback only) for the concurrency and disconnect tests. Helpers live in api_helpers.py."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():  # starlette's TestClient warns that it wants httpx2; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app.main import app as asgi_app
from tests.live_server import serving


@pytest.fixture(scope="session")
def client():
    """Synchronous client calling the ASGI app in-process (server exceptions propagate as errors)."""
    with TestClient(asgi_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server():
    """`uvicorn app.main:app` in a subprocess on a free loopback port; yields its base URL."""
    with serving(attempts=200) as base:
        yield base
