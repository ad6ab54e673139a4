"""Timings of the batched analyses against a naive per-run Python loop.

    python bench/bench_analysis.py [--quick]

- basins: Himmelblau, n = 200 (40 000 starts) × 500 steps of GD, `engine.analysis.basins` (the
  whole /api/basins computation: batched run + labelling). Target ≤ 1 s.
- the same through the API in-process (`/api/basins`, including validation and JSON).
- phase: heavy ball on a quadratic (κ = 10), a 101 × 101 (η log, μ) grid × 500 steps, one batch.
- tune: 3 optimizers × budget 16 × 200 steps on a quadratic (grid method), plus the best runs.

"naive" runs every start (cell) on its own with a plain Python loop over steps calling the same
surface and optimizer `update` one point at a time, with the engine's divergence rule. Its cost is
linear in the number of runs, so a fixed subset is timed and scaled (the note says by how much).
The agreement column compares the subset's answers with the batched ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from engine.analysis import Axis, basins, label_points, phase_diagram, tune  # noqa: E402
from engine.optimizers import make_optimizer  # noqa: E402
from engine.run import DIVERGENCE_NORM  # noqa: E402
from engine.surfaces import make_surface  # noqa: E402

BASINS_TARGET_S = 1.0


CPU_TIMES: dict[int, float] = {}  # id(result) -> median CPU time of the same calls


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of `repeat` calls after one untimed warm-up call, and the last result.
    The median process CPU time is kept too: on a busy machine it is the fairer figure."""
    result = fn()
    times, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    CPU_TIMES[id(result)] = statistics.median(cpu)
    return statistics.median(times), result


def naive_final(surface, optimizer, start, steps: int) -> tuple[np.ndarray, float, bool]:
    """One run, one point at a time: final point, its gradient norm, diverged?"""
    x = np.array(start, dtype=float)
    state = optimizer.init(x)
    lr = optimizer.hparams["lr"]
    g = surface.grad(x)
    for _ in range(steps):
        new_x, state = optimizer.update(g, state, x, lr)
        f = float(surface.value(new_x))
        if not (np.all(np.isfinite(new_x)) and np.isfinite(f) and np.linalg.norm(new_x) <= DIVERGENCE_NORM):
            return x, float(np.linalg.norm(g)), True
        x = new_x
        g = surface.grad(x)
    return x, float(np.linalg.norm(g)), False


def row(name: str, ours: float, naive: float | None = None, note: str = "", check: str = "") -> str:
    ratio = f"{naive / ours:.0f}×" if naive else "—"
    naive_text = f"{naive:.3g} s" if naive else "—"
    return f"| {name} | {ours:.3g} s | {naive_text} | {ratio} | {note} | {check} |"


def bench_basins(repeat: int, n: int = 200, steps: int = 500, lr: float = 0.01, subset: int = 100) -> list[str]:
    surface = make_surface("himmelblau")
    opt = make_optimizer("gd", {"lr": lr})
    t_ours, res = timed(lambda: basins(surface, opt, steps, n), repeat)
    gy, gx = np.divmod(np.linspace(0, n * n - 1, subset).astype(int), n)  # flat index k = i·n + j

    def naive():
        return [naive_final(surface, opt, [res.x[j], res.y[i]], steps) for i, j in zip(gy, gx, strict=True)]

    t_sub, finals = timed(naive, 1)
    final = np.array([f[0] for f in finals])
    labels = label_points(final, np.array([f[1] for f in finals]), np.array([f[2] for f in finals]),
                          surface.minima_array(), res.tol, res.radius)
    agree = int(np.sum(labels == res.label[gy, gx]))
    cpu = CPU_TIMES[id(res)]
    verdict = "meets" if min(t_ours, cpu) <= BASINS_TARGET_S else "MISSES"
    rows = [row(f"basins himmelblau {n}×{n} × {steps} GD (engine; CPU {cpu:.3g} s) — {verdict} the "
                f"{BASINS_TARGET_S:g} s target",
                t_ours, t_sub * n * n / subset, f"{subset} starts timed, ×{n * n // subset}",
                f"labels equal on {agree}/{subset}; counts {res.counts}")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        from app.main import app
    client = TestClient(app)
    body = {"surface": {"name": "himmelblau"}, "optimizer": {"name": "gd", "lr": lr}, "steps": steps, "n": n}
    t_api, response = timed(lambda: client.post("/api/basins", json=body), repeat)
    assert response.status_code == 200, response.text
    rows.append(row(f"/api/basins same request (in-process, incl. JSON {len(response.content) / 1e3:.0f} kB)",
                    t_api))
    return rows


def bench_phase(repeat: int, n: int = 101, steps: int = 500, subset: int = 60) -> list[str]:
    surface = make_surface("quadratic", {"kappa": 10})
    axes = [Axis("lr", 1e-3, 1.0, n, log=True), Axis("momentum", 0.0, 0.99, n)]
    start = [-4.0, 2.0]
    t_ours, res = timed(lambda: phase_diagram(surface, start, "momentum", {}, axes, steps), repeat)
    gy, gx = np.divmod(np.linspace(0, n * n - 1, subset).astype(int), n)

    def naive():
        return [naive_final(surface, make_optimizer("momentum", {"lr": res.x[j], "momentum": res.y[i]}), start, steps)
                for i, j in zip(gy, gx, strict=True)]

    t_sub, finals = timed(naive, 1)
    div = np.array([f[2] for f in finals])
    loss = np.array([np.nan if d else float(surface.value(f[0])) for f, d in zip(finals, div, strict=True)])
    ours = res.final_loss[gy, gx]
    same = (div == res.diverged[gy, gx]) & (div | np.isclose(loss, ours, rtol=1e-9, atol=1e-300))
    return [row(f"phase heavy ball {n}×{n} (η log × μ) × {steps} (engine, one batch)", t_ours,
                t_sub * n * n / subset, f"{subset} cells timed, ×{n * n / subset:.0f}",
                f"loss & divergence equal on {int(same.sum())}/{subset}; {int(res.diverged.sum())} cells diverged")]


def bench_tune(repeat: int) -> list[str]:
    surface = make_surface("quadratic", {"kappa": 50, "theta": 30})
    specs = [("gd", {}), ("momentum", {"momentum": 0.9}), ("adam", {})]

    def run():
        return [tune(surface, [-4.0, 2.0], name, hp, 200, 16, 1e-4, 1.0) for name, hp in specs]

    t_ours, results = timed(run, repeat)
    best = ", ".join(f"{r.name} η={r.best_lr:.3g}" for r in results)
    return [row("tune 3 optimizers × budget 16 × 200 steps (grid) + best runs", t_ours, note="", check=best)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed repeat instead of three")
    repeat = 1 if parser.parse_args().quick else 3
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, numpy {np.__version__}, "
          f"Python {platform.python_version()}\n")
    print("| workload | losslab (median) | naive loop | speed-up | naive note | agreement |")
    print("|---|---|---|---|---|---|")
    for lines in (bench_basins(repeat), bench_phase(repeat), bench_tune(repeat)):
        for line in lines:
            print(line, flush=True)


if __name__ == "__main__":
    main()
