"""HTTP timings against a real uvicorn server on 127.0.0.1 (started and stopped here).

- first stream line: time from sending `/api/run/stream` (4 optimizers × 20 000 steps) to the
  first NDJSON line (meta) and to the first chunk line, then the stream is abandoned; compared
  with the time the whole `/api/run` answer of the same request takes;
- `/api/run` of the default scene: median latency, at 200 steps (the page's default) and at 500
  steps (issue 20's server share: 4 optimizers × 500 steps ≤ 5 ms p50), with its body size and the
  server's CPU time per request (run_500_cpu: steadier than latency when the machine is shared);
- `/api/grid` n = 501: median latency (and the response size).
Measuring starts once the server is at rest (`settle`: its lifespan loads compiled code in the
background after start). The number of requests is fixed and small; nothing leaves the loopback
interface.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from app.schemas.runs import DEFAULT_SCENE

ROOT = Path(__file__).resolve().parents[1]
LONG_SCENE = {**DEFAULT_SCENE, "steps": 20000}
SCENE_500 = {**DEFAULT_SCENE, "steps": 500}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# For experiments only (bench/load.py --thread-limit/--switch-interval): serve app.main:app with
# anyio's default threadpool capped and/or another GIL switch interval, without touching app/.
TUNED = """
import sys, anyio.to_thread, uvicorn
from app.main import app as inner
limit, switch, port = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
if switch > 0:
    sys.setswitchinterval(switch)
ready = []
async def app(scope, receive, send):
    if limit > 0 and not ready:
        anyio.to_thread.current_default_thread_limiter().total_tokens = limit
        ready.append(1)
    await inner(scope, receive, send)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


@contextlib.contextmanager
def server(port: int | None = None, log_level: str = "warning", thread_limit: int = 0,
           switch_interval: float = 0.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """uvicorn app.main:app on 127.0.0.1 (one worker, as the Dockerfile runs it); yields (base_url, process)."""
    port = port or free_port()
    env = {"OPENBLAS_NUM_THREADS": "1", **os.environ, "PYTHONPATH": str(ROOT)}  # as `losslab serve` and the image
    if thread_limit or switch_interval:
        cmd = [sys.executable, "-c", TUNED, str(thread_limit), str(switch_interval), str(port)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", log_level]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def first_lines(client: httpx.Client, body: dict) -> tuple[float, float]:
    """Seconds to the first line and to the first chunk line of a stream, which is then abandoned."""
    began = time.perf_counter()
    t_meta = t_chunk = float("nan")
    with client.stream("POST", "/api/run/stream", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            now = time.perf_counter() - began
            if t_meta != t_meta:  # first line
                t_meta = now
            if '"type":"chunk"' in line:
                t_chunk = now
                break
    return t_meta, t_chunk


def latency(client: httpx.Client, method: str, path: str, body: dict | None = None) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.request(method, path, json=body)
    response.raise_for_status()
    return time.perf_counter() - began, len(response.content)


def cpu_seconds(proc: subprocess.Popen) -> float:
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(proc: subprocess.Popen, quiet: float = 0.5, limit: float = 20.0) -> None:
    """Wait (at most `limit` s) until the server has used under 5 % of a core for `quiet` s: its
    lifespan loads the compiled kernels and the network's layers in the background after start,
    and the figures are of a server at rest, not of one still loading."""
    if not Path(f"/proc/{proc.pid}/stat").exists():
        return
    deadline = time.monotonic() + limit
    last = cpu_seconds(proc)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = cpu_seconds(proc)
        if now - last < 0.05 * quiet:
            return
        last = now


def measure(quick: bool = False) -> dict[str, float]:
    n_stream, n_run, n_grid, n_full = (5, 10, 5, 2) if quick else (15, 30, 10, 3)
    n_500 = 100 if quick else 300
    out: dict[str, float] = {}
    with server() as (base, proc), httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(3):  # warm-up: imports, caches, connection
            latency(client, "POST", "/api/run", DEFAULT_SCENE)
            latency(client, "POST", "/api/grid", {"surface": {"name": "himmelblau"}, "n": 501})
        settle(proc)
        pairs = [first_lines(client, LONG_SCENE) for _ in range(n_stream)]
        out["first_line"] = statistics.median(p[0] for p in pairs)
        out["first_chunk"] = statistics.median(p[1] for p in pairs)
        full = [latency(client, "POST", "/api/run", LONG_SCENE) for _ in range(n_full)]
        out["long_run"] = statistics.median(t for t, _ in full)
        out["long_run_mb"] = full[0][1] / 1e6
        out["run_default"] = statistics.median(latency(client, "POST", "/api/run", DEFAULT_SCENE)[0]
                                               for _ in range(n_run))
        for _ in range(10):  # this body's own warm-up (theory entries, kernels for its pairs)
            latency(client, "POST", "/api/run", SCENE_500)
        used = cpu_seconds(proc) if Path(f"/proc/{proc.pid}/stat").exists() else float("nan")
        runs = sorted(latency(client, "POST", "/api/run", SCENE_500) for _ in range(n_500))
        # the server's CPU per request (both its threads): steadier than latency on a shared machine
        used = cpu_seconds(proc) - used if used == used else used
        out["run_500_cpu"] = used / n_500
        out["run_500_p50"] = statistics.median(t for t, _ in runs)
        out["run_500_p90"] = runs[int(0.9 * len(runs))][0]
        out["run_500_kb"] = runs[0][1] / 1e3
        grids = [latency(client, "POST", "/api/grid", {"surface": {"name": "himmelblau"}, "n": 501})
                 for _ in range(n_grid)]
        out["grid_501"] = statistics.median(t for t, _ in grids)
        out["grid_501_mb"] = grids[0][1] / 1e6
        out["requests"] = 16 + n_stream + n_full + n_run + n_grid + n_500
    return out


if __name__ == "__main__":
    for key, value in measure(quick="--full" not in sys.argv).items():
        print(f"{key:>14}: {value:.4g}")
    print(f"{'load average':>14}: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
