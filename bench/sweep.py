"""Sweep throughput: trainings per second of the issue's target sweep (not part of the test run).

    python bench/sweep.py [--spec bench/sweep_spec.json] [--seeds K] [--sample S] [--skip-http]

Target (bench/sweep_spec.json): a 20 × 20 (η, μ) grid × 5 seeds of a 2-8-8-1 tanh MLP on 200 moons
points, 300 full-batch steps of heavy-ball momentum = 2,000 trainings, ≤ 30 s end to end.

1. plain loop: S trainings one at a time through `engine.nn.train` (what 2,000 single
   /api/network/train calls would compute), extrapolated to the whole sweep;
2. the engine's batched runner in-process (`engine.sweep.run_jobs`) on the same S trainings;
3. Dask LocalCluster with 1 and with 2 worker processes, the whole sweep (cluster start excluded);
4. end to end through POST /api/sweep/stream of the app (its own LocalCluster, started on the
   first sweep: reported separately), with the time to the first cell line.
Prints trainings/s and the ratio to the plain loop, with CPU seconds per training (in-process:
this process's CPU time; on Dask: the workers' CPU time, read from them before and after) and the
load average before and after: on a shared machine wall times move with the load, CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.schemas.sweep import SweepRequest, plan  # noqa: E402
from app.settings import Limits  # noqa: E402
from app.sweep.cluster import SweepCluster  # noqa: E402
from app.sweep.runner import SweepRun  # noqa: E402
from engine.nn import MLP, make_dataset, train  # noqa: E402
from engine.optimizers import make_optimizer  # noqa: E402
from engine.schedules import make_schedule  # noqa: E402
from engine.sweep import group_key, run_jobs  # noqa: E402


def single(job):
    d, m = job["dataset"], job["model"]
    data = make_dataset(d["name"], d["n"], d["seed"], **d["params"])
    model = MLP(m["hidden"], m["activation"], m["loss"])
    spec = {k: v for k, v in job["optimizer"].items() if k != "name"}
    return train(model, data, [make_optimizer(job["optimizer"]["name"], spec)], job["steps"],
                 w0=model.init(m["seed"], m["init"], m["sigma"]), batch_size=job["batch_size"],
                 schedule=make_schedule("constant"), shuffle_seed=job["shuffle_seed"],
                 record_every=job["record_every"])


def worker_cpu(client) -> float:
    return sum(client.run(time.process_time).values())


def on_cluster(prepared, workers: int) -> tuple[float, float, float]:
    """(wall seconds, cluster start seconds, worker CPU seconds) of the whole sweep."""
    cluster = SweepCluster(None, workers)
    try:
        began = time.perf_counter()
        client = cluster.client()
        started = time.perf_counter() - began
        client.run(lambda: __import__("engine.sweep") and None)  # import (and load compiled kernels) first
        cpu = worker_cpu(client)
        run = SweepRun(client, prepared, cluster.n_workers())
        began = time.perf_counter()
        cells = run.all_cells()
        assert len(cells) == len(prepared.cells)
        return time.perf_counter() - began, started, worker_cpu(client) - cpu
    finally:
        cluster.close()


def over_http(body: dict) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from app.main import create_app

    app = create_app()
    with TestClient(app) as client:
        began = time.perf_counter()
        app.state.sweeps.client()
        warm = time.perf_counter() - began
        began, first = time.perf_counter(), None
        with client.stream("POST", "/api/sweep/stream", json=body) as response:
            for line in response.iter_lines():
                kind = json.loads(line)["type"]
                if kind == "cell" and first is None:
                    first = time.perf_counter() - began
                assert kind != "error", line
        return time.perf_counter() - began, first or float("nan"), warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default=str(ROOT / "bench" / "sweep_spec.json"))
    parser.add_argument("--seeds", type=int, default=None, help="override seeds.count (a smaller run)")
    parser.add_argument("--sample", type=int, default=40, help="trainings timed in the plain loop")
    parser.add_argument("--batch", type=int, default=200, help="trainings of the in-process batched timing")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--http-only", action="store_true", help="only the end-to-end /api/sweep/stream timing")
    args = parser.parse_args()
    body = json.loads(Path(args.spec).read_text())
    if args.seeds:
        body["seeds"]["count"] = args.seeds
    prepared = plan(SweepRequest.model_validate(body), Limits())
    if args.http_only:
        load = os.getloadavg()[0]
        seconds, first, warm = over_http(body)
        print(f"POST /api/sweep/stream, {len(prepared.jobs)} trainings: {seconds:.1f} s, first cell {first:.2f} s, "
              f"cluster start {warm:.1f} s apart; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
        return
    n = len(prepared.jobs)
    sample = prepared.jobs[:: max(1, n // args.sample)][:args.sample]
    print(f"sweep: {len(prepared.cells)} cells x {prepared.count} seeds = {n} trainings; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    single(sample[0])
    run_jobs(sample[:2])  # compile / load the kernels outside the timings
    began, cpu = time.perf_counter(), time.process_time()
    for job in sample:
        single(job)
    loop, loop_cpu = ((time.perf_counter() - began) / len(sample), (time.process_time() - cpu) / len(sample))
    batch = [job for job in prepared.jobs if group_key(job) == group_key(prepared.jobs[0])][:args.batch]
    began, cpu = time.perf_counter(), time.process_time()
    run_jobs(batch)
    batched, batched_cpu = ((time.perf_counter() - began) / len(batch), (time.process_time() - cpu) / len(batch))
    rows = [("plain loop (engine.nn.train, one at a time)", n * loop, f"CPU {1e3 * loop_cpu:.1f} ms/training"),
            (f"engine batched, in-process ({len(batch)} per batch)", n * batched,
             f"CPU {1e3 * batched_cpu:.1f} ms/training")]
    for workers in (1, 2):
        seconds, started, cpu = on_cluster(prepared, workers)
        rows.append((f"Dask LocalCluster, {workers} worker(s)", seconds,
                     f"workers' CPU {1e3 * cpu / n:.1f} ms/training, cluster start {started:.1f} s"))
    if not args.skip_http:
        seconds, first, warm = over_http(body)
        note = f"first cell {first:.2f} s, cluster start {warm:.1f} s"
        rows.append(("POST /api/sweep/stream, 2 workers", seconds, note))
    print(f"{'':48s} {'seconds':>8s} {'trainings/s':>12s} {'vs loop':>8s}")
    for name, seconds, note in rows:
        print(f"{name:48s} {seconds:8.1f} {n / seconds:12.1f} {n * loop / seconds:7.1f}x  {note}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
