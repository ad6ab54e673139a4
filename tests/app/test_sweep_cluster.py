"""Sweeps on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1,
the app pointed at it (LOSSLAB_DASK_SCHEDULER's setting). Both workers compute tasks; a worker
killed with SIGKILL mid-sweep loses nothing: Dask reruns its tasks on the other worker and every
cell equals the undisturbed sweep's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings

import pytest

from app.main import create_app
from app.settings import Settings
from tests.live_server import ROOT, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SWEEP = {"base": {"kind": "network", "request": {
    "dataset": {"name": "moons", "n": 200, "seed": 0}, "model": {"hidden": [8, 8]},
    "optimizers": [{"name": "momentum", "lr": 0.1, "momentum": 0.9}], "steps": 300}},  # ≥ 0.2 s tasks: 9 of them
    "axes": [{"path": "optimizers.0.lr", "range": {"min": 0.01, "max": 3.0, "n": 8, "log": True}},
             {"path": "optimizers.0.momentum", "values": [0.0, 0.5, 0.9]}],
    "seeds": {"count": 3}, "target_loss": 0.3}


def dask_cli(*args: str, log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-c", "from dask.cli import run_cli; run_cli()", *args], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster():
    """(scheduler address, {name: worker process}) of a fresh scheduler and two worker processes."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    procs = [dask_cli("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", log=log)]
    try:
        time.sleep(1.0)
        workers = {}
        for name in ("w1", "w2"):
            workers[name] = dask_cli("worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                                     "--host", "127.0.0.1", "--no-dashboard", log=log)
            procs.append(workers[name])
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address, workers
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.seek(0)
        tail = log.read()[-3000:].decode(errors="replace")
        print(tail)


def without_meta(cells):
    return {tuple(cell["index"]): cell for cell in cells}


def test_both_workers_compute_and_a_killed_worker_loses_no_cell(cluster):
    address, workers = cluster
    app = create_app(Settings(dask_scheduler=address))
    with TestClient(app) as client:
        app.state.sweeps.client()  # connect first (blocking): a sweep request answers 503 until connected
        quiet = client.post("/api/sweep", json=SWEEP)
        assert quiet.status_code == 200, quiet.text
        undisturbed = quiet.json()
        assert len(undisturbed["meta"]["workers"]) == 2  # both workers did some of the work
        assert undisturbed["meta"]["tasks"] >= 4
        info = app.state.sweeps.client().scheduler_info(n_workers=-1)["workers"]
        assert set(undisturbed["meta"]["workers"]) == set(info)

        cells = []
        with client.stream("POST", "/api/sweep/stream", json=SWEEP) as response:
            lines = response.iter_lines()
            assert json.loads(next(lines))["type"] == "meta"
            first = json.loads(next(lines))
            assert first["type"] == "cell"
            cells.append(first)
            os.kill(workers["w2"].pid, signal.SIGKILL)  # mid-sweep: tasks are queued or running on it
            for line in lines:
                item = json.loads(line)
                if item["type"] == "cell":
                    cells.append(item)
                else:
                    done = item
        assert workers["w2"].wait(timeout=10) == -signal.SIGKILL
        assert done["type"] == "done", done
        got = without_meta(cells)
        for key, cell in without_meta(undisturbed["cells"]).items():
            cell = dict(cell)
            mine = dict(got[key])
            mine.pop("type")
            assert mine == cell
        assert len(got) == 24
