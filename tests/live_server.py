"""`uvicorn app.main:app` in a subprocess on a free loopback port, for the tests that need a real
server (concurrency, disconnects, the browser). Shared by tests/app and tests/e2e."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(attempts: int = 300, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the server (with extra environment `env`, e.g. LOSSLAB_* settings), wait (a bounded
    number of polls) for /api/health, yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        for _ in range(attempts):
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
