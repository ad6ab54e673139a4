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
Prints trainings/s and the ratio to the plain loop.
"""

from __future__ import annotations

import argparse
import json
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
from engine.sweep import run_jobs  # noqa: E402


def single(job):
    d, m = job["dataset"], job["model"]
    data = make_dataset(d["name"], d["n"], d["seed"], **d["params"])
    model = MLP(m["hidden"], m["activation"], m["loss"])
    spec = {k: v for k, v in job["optimizer"].items() if k != "name"}
    return train(model, data, [make_optimizer(job["optimizer"]["name"], spec)], job["steps"],
                 w0=model.init(m["seed"], m["init"], m["sigma"]), batch_size=job["batch_size"],
                 schedule=make_schedule("constant"), shuffle_seed=job["shuffle_seed"],
                 record_every=job["record_every"])


def on_cluster(prepared, workers: int) -> tuple[float, float]:
    cluster = SweepCluster(None, workers)
    try:
        began = time.perf_counter()
        client = cluster.client()
        started = time.perf_counter() - began
        run = SweepRun(client, prepared, cluster.n_workers())
        began = time.perf_counter()
        cells = run.all_cells()
        assert len(cells) == len(prepared.cells)
        return time.perf_counter() - began, started
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
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    body = json.loads(Path(args.spec).read_text())
    if args.seeds:
        body["seeds"]["count"] = args.seeds
    prepared = plan(SweepRequest.model_validate(body), Limits())
    n = len(prepared.jobs)
    sample = prepared.jobs[:: max(1, n // args.sample)][:args.sample]
    print(f"sweep: {len(prepared.cells)} cells x {prepared.count} seeds = {n} trainings")
    began = time.perf_counter()
    for job in sample:
        single(job)
    loop = (time.perf_counter() - began) / len(sample)
    began = time.perf_counter()
    run_jobs(sample)
    batched = (time.perf_counter() - began) / len(sample)
    rows = [("plain loop (engine.nn.train, one at a time)", n * loop, ""),
            ("engine batched, in-process (sample)", n * batched, "")]
    for workers in (1, 2):
        seconds, started = on_cluster(prepared, workers)
        rows.append((f"Dask LocalCluster, {workers} worker(s)", seconds, f"cluster start {started:.1f} s"))
    if not args.skip_http:
        seconds, first, warm = over_http(body)
        note = f"first cell {first:.2f} s, cluster start {warm:.1f} s"
        rows.append(("POST /api/sweep/stream, 2 workers", seconds, note))
    print(f"{'':48s} {'seconds':>8s} {'trainings/s':>12s} {'vs loop':>8s}")
    for name, seconds, note in rows:
        print(f"{name:48s} {seconds:8.1f} {n / seconds:12.1f} {n * loop / seconds:7.1f}x  {note}")


if __name__ == "__main__":
    main()
