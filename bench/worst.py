"""The worst accepted request of each endpoint: `python bench/worst.py [--json FILE]`.

For every endpoint a template request is grown along one size (steps, n, ...) to the largest value
the server's own estimate (app/cost.py) still accepts under `max_request_seconds`, on the most
expensive surfaces and optimizers; that request is then sent in-process (TestClient, one at a
time) and timed: the CPU seconds it used (process time, what the budget bounds) and the wall
seconds (which also count other processes on a shared machine). One size above is checked to be
refused with a 422. Target: every accepted worst case ≤ 5 s of CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app import cost  # noqa: E402
from app.main import app  # noqa: E402
from app.schemas.analysis import BasinsRequest  # noqa: E402
from app.schemas.geometry import GridRequest  # noqa: E402
from app.schemas.network import NetworkTrainRequest  # noqa: E402
from app.schemas.phase import PhaseRequest  # noqa: E402
from app.schemas.runs import RunRequest  # noqa: E402
from app.schemas.tune import TuneRequest  # noqa: E402
from app.settings import get_settings  # noqa: E402
from engine import kernels  # noqa: E402

NESTED = "x"
for _k in range(11):
    NESTED = f"arctan({NESTED} + {_k})"
SLOW = {"name": "custom", "expr": NESTED + " * sin(y)"}  # about 100× a quadratic per evaluation
TWELVE = [{"name": n, "lr": 1e-3} for n in ("adam", "adamw", "rmsprop", "adadelta", "newton", "nesterov",
                                            "momentum", "adagrad", "gd", "adam", "adamw", "newton")]


COMPILED = [{"name": n, "lr": 1e-3} for n in ("adam", "adamw", "rmsprop", "adadelta", "adagrad", "nesterov",
                                                "momentum", "gd", "adam", "adamw", "rmsprop", "adadelta")]


def _network(m, _ev, budget):
    return cost.network_cost(m, budget)


# name, path, model, estimate, template(size), size range
CASES = [
    ("run: 12 optimizers on rosenbrock", "/api/run", RunRequest, cost.run_cost,
     lambda s: {"surface": {"name": "rosenbrock"}, "steps": s, "optimizers": TWELVE}, (1, 20000)),
    ("run: 12 optimizers on a slow formula", "/api/run", RunRequest, cost.run_cost,
     lambda s: {"surface": SLOW, "steps": s, "optimizers": TWELVE}, (1, 20000)),
    ("run/stream: 12 optimizers on rosenbrock", "/api/run/stream", RunRequest, cost.stream_cost,
     lambda s: {"surface": {"name": "rosenbrock"}, "steps": s, "optimizers": TWELVE}, (1, 20000)),
    # priced by the compiled kernels' measured cost (app/cost.py): the contract's largest run is accepted
    ("run: 12 compiled-kernel optimizers on beale", "/api/run", RunRequest, cost.run_cost,
     lambda s: {"surface": {"name": "beale"}, "start": [-1, 1], "steps": s, "optimizers": COMPILED}, (1, 20000)),
    ("run/stream: 12 compiled-kernel optimizers on beale", "/api/run/stream", RunRequest, cost.stream_cost,
     lambda s: {"surface": {"name": "beale"}, "start": [-1, 1], "steps": s, "optimizers": COMPILED}, (1, 20000)),
    ("grid: slow formula, n", "/api/grid", GridRequest, cost.grid_cost,
     lambda n: {"surface": SLOW, "n": n}, (2, 501)),
    ("basins: himmelblau 301², adam, steps", "/api/basins", BasinsRequest, cost.basins_cost,
     lambda s: {"surface": {"name": "himmelblau"}, "optimizer": {"name": "adam", "lr": 0.05}, "n": 301,
                "steps": s}, (1, 20_000_000 // 301**2)),  # max_batch_work bounds it too
    ("basins: slow formula 101², steps", "/api/basins", BasinsRequest, cost.basins_cost,
     lambda s: {"surface": SLOW, "optimizer": {"name": "gd", "lr": 0.01}, "n": 101, "steps": s}, (1, 20000)),
    ("phase: 101² momentum cells, steps", "/api/phase", PhaseRequest, cost.phase_cost,
     lambda s: {"surface": {"name": "rosenbrock"}, "optimizer": {"name": "momentum"}, "steps": s,
                "axes": {"lr": {"min": 1e-4, "max": 1e-2, "n": 101, "log": True},
                         "momentum": {"min": 0.0, "max": 0.95, "n": 101}}}, (1, 20_000_000 // 101**2)),
    ("tune: 12 optimizers × 64 lrs, steps", "/api/tune", TuneRequest, cost.tune_cost,
     lambda s: {"surface": {"name": "himmelblau"}, "steps": s, "budget": 64, "optimizers": TWELVE}, (1, 20000)),
    ("network: 4 × [64, 64] on 1000 moons, steps", "/api/network/train", NetworkTrainRequest, _network,
     lambda s: {"dataset": {"name": "moons", "n": 1000}, "model": {"hidden": [64, 64]}, "steps": s,
                "optimizers": [{"name": "adam", "lr": 0.01}] * 4}, (1, 5000)),
]


def estimate(model, body: dict) -> float:
    budget = get_settings().budget
    m = model.model_validate(body)
    for name in type(m).model_fields:
        ref = getattr(m, name)
        if hasattr(ref, "compile") and hasattr(ref, "expr"):
            ref.compile()
            return m, cost.surface_cost(ref), budget
    return m, None, budget


def largest(model, fn, template, lo: int, hi: int) -> int | None:
    """The largest size in [lo, hi] whose estimate is within the budget (estimates grow with size)."""
    def fits(size: int) -> bool:
        m, ev, budget = estimate(model, template(size))
        return fn(m, ev, budget) <= budget.max_request_seconds

    if not fits(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def timed(client: TestClient, path: str, body: dict) -> tuple[int, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    response = client.post(path, json=body)
    if path.endswith("/stream"):
        _ = response.text
    return response.status_code, time.process_time() - cpu, time.perf_counter() - wall


def formula_case(client: TestClient) -> dict:
    """The slowest formula to compile that the bench knows (nested arctans × a sine), uncached."""
    expr = NESTED + " * sin(y) + 0.015625"
    status, cpu, wall = timed(client, "/api/formula", {"expr": expr})
    return {"case": "formula: 11 nested arctans × sin(y), first compile", "size": None, "estimate": None,
            "status": status, "cpu": cpu, "wall": wall, "above": None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    budget = get_settings().budget
    kernels.warm()  # priced as a served request is once the app's lifespan has loaded them
    rows = []
    with TestClient(app) as client:
        rows.append(formula_case(client))
        for name, path, model, fn, template, (lo, hi) in CASES:
            size = largest(model, fn, template, lo, hi)
            if size is None:
                rows.append({"case": name, "size": None, "status": None})
                continue
            m, ev, b = estimate(model, template(size))
            status, cpu, wall = timed(client, path, template(size))
            above = client.post(path, json=template(size + 1)).status_code if size < hi else None
            rows.append({"case": name, "size": size, "estimate": fn(m, ev, b), "status": status, "cpu": cpu,
                         "wall": wall, "above": above})
            print(f"{name}: size {size}, status {status}, cpu {cpu:.2f} s", file=sys.stderr)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(f"worst accepted request per endpoint (budget {budget.max_request_seconds:g} s of estimated compute; "
          f"load average {' '.join(load)})\n")
    print("| request | largest accepted size | estimate | status | CPU | wall | size + 1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        est = "—" if r.get("estimate") is None else f"{r['estimate']:.2f} s"
        cpu = "—" if r.get("cpu") is None else f"{r['cpu']:.2f} s"
        wall = "—" if r.get("wall") is None else f"{r['wall']:.2f} s"
        print(f"| {r['case']} | {r.get('size') or '—'} | {est} | {r.get('status')} | {cpu} | {wall} | "
              f"{r.get('above') or '—'} |")
    worst = max((r["cpu"] for r in rows if r.get("cpu") is not None), default=0.0)
    print(f"\nworst CPU {worst:.2f} s: {'PASS' if worst <= 5.0 else 'FAIL'} (target ≤ 5 s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
