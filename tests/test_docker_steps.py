"""The Dockerfile's build and start steps, replayed without Docker.

Docker may not run where the tests do, so this test reads the Dockerfile itself and performs
its steps in a fresh virtual environment: the COPY lines (honouring .dockerignore) into a
temporary WORKDIR, the `pip install` RUN line there, then the CMD (host and port swapped
for 127.0.0.1 and a free port) and the HEALTHCHECK command. Editing one without the other
breaks this test, which is the point. A full install takes about 20–60 s.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with comments dropped and `\\` continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def ignore_patterns() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [ln.strip().removeprefix("**/") for ln in lines if ln.strip() and not ln.startswith("#")]


def copy_context(sources: list[str], dest: Path, workdir: Path, patterns: list[str]) -> None:
    """COPY src... dest: a directory's contents go under dest; files go into dest if it is a directory."""
    target = workdir / dest.lstrip("/")
    into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1

    def ignored(_dir: str, names: list[str]) -> set[str]:
        return {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}

    for src in sources:
        path = ROOT / src
        assert path.exists(), f"Dockerfile copies {src!r}, which does not exist: docker build would fail"
        if path.is_dir():
            shutil.copytree(path, target, ignore=ignored, dirs_exist_ok=True)
        elif into_dir:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / path.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 5.0) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def steps() -> dict:
    parsed = instructions(DOCKERFILE.read_text())
    by_kind: dict[str, list[str]] = {}
    for keyword, args in parsed:
        by_kind.setdefault(keyword, []).append(args)
    return by_kind


def test_dockerfile_declares_the_contract(steps):
    assert steps["FROM"] == ["python:3.11-slim"]
    assert steps["EXPOSE"] == ["8000"]
    assert steps["USER"] and steps["USER"][-1] not in ("root", "0"), "the server must not run as root"
    (health,) = steps["HEALTHCHECK"]
    assert "http://127.0.0.1:8000/api/health" in health and " CMD " in f" {health} "
    (cmd,) = steps["CMD"]
    assert json.loads(cmd) == ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    installs = [r for r in steps["RUN"] if r.startswith("pip install")]
    assert len(installs) == 1 and "--no-cache-dir ." in installs[0]
    # PyPI only: no other index or local wheel source baked into the image
    assert not any(flag in installs[0] for flag in ("--index-url", "--extra-index-url", "--find-links", "-i "))


@pytest.mark.skipif(os.environ.get("LOSSLAB_SKIP_INSTALL_TEST") == "1" and not os.environ.get("CI"),
                    reason="LOSSLAB_SKIP_INSTALL_TEST=1 (never skipped in CI)")
def test_install_and_start_as_the_dockerfile_does(steps, tmp_path):
    workdir = tmp_path / "srv" / steps["WORKDIR"][-1].lstrip("/")
    workdir.mkdir(parents=True)
    patterns = ignore_patterns()
    for args in steps["COPY"]:
        *sources, dest = shlex.split(args)
        copy_context(sources, dest, workdir, patterns)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               PYTHONDONTWRITEBYTECODE="1")
    (install,) = [r for r in steps["RUN"] if r.startswith("pip install")]
    done = subprocess.run(["bash", "-c", install], cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # the wheel alone is complete: both packages import from site-packages, away from the source tree
    probe = "import app.main, engine.run, engine.surfaces; print(app.main.__file__)"
    where = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-3000:]
    assert "site-packages" in where.stdout

    port = free_port()
    cmd = json.loads(steps["CMD"][-1])
    cmd[cmd.index("--host") + 1] = "127.0.0.1"  # loopback only in tests
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[0] = str(venv / "bin" / cmd[0])
    log = tmp_path / "server.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = json.loads(get(f"{base}/api/health", timeout=2)[2])
                break
            except OSError:
                time.sleep(0.25)
        assert health is not None, f"server did not answer /api/health:\n{log.read_text()[-3000:]}"
        assert health["status"] == "ok" and health["limits"]["max_steps"] == 20000

        # the image's HEALTHCHECK command, pointed at this port, exits 0
        check = steps["HEALTHCHECK"][0].split(" CMD ", 1)[1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        assert subprocess.run(["bash", "-c", check], cwd=workdir, env=env, timeout=30).returncode == 0

        status, body = post(f"{base}/api/point", {"surface": {"name": "saddle"}, "point": [1.0, 2.0]})
        assert status == 200 and body["grad"] == [1.0, -2.0] and body["curvature"] == "indefinite"

        # templates/ and static/ are found from the WORKDIR, as in the image
        if (workdir / "app" / "api" / "routes" / "pages.py").exists():  # the page, once it exists
            status, content_type, page = get(f"{base}/")
            assert status == 200 and content_type.startswith("text/html") and b"<html" in page.lower()
        static_files = sorted(p for p in (workdir / "static").rglob("*") if p.is_file())
        if static_files:
            status, _, data = get(f"{base}/static/{static_files[0].relative_to(workdir / 'static').as_posix()}")
            assert status == 200 and data == static_files[0].read_bytes()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
