"""B runs of one optimizer on one 2D surface, as one batch (`engine.run.run_batch`).

Jobs in a batch share the surface, schedule, steps and noise (so the same ξ sequence, as
`/api/run` draws it); starts and hyperparameter values may differ per row. `run_batch`
guarantees row b equals `/api/run` from that start with those hyperparameters bit for bit; the
recorded path gives the losses f(x_t) the single run reports, hence the best loss and the first
t with f(x_t) ≤ target. The minimum reached is labelled as in basin maps (index into the
surface's minima, −1 diverged, −2 not converged).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.analysis.basins import default_radius, label_points
from engine.run import CONVERGED_GRAD_NORM, Noise, run_batch
from engine.schedules import make_schedule
from engine.surfaces.resolve import surface_from_ref
from engine.sweep import optim

PATH_FLOATS = 2_000_000  # recorded path floats per batch (16 MB): longer runs go in smaller batches


def group_key(job: Mapping[str, Any]) -> str:
    shared = {key: job.get(key) for key in ("surface", "schedule", "steps", "noise", "target_loss")}
    shared["optimizer"] = optim.shape_key(job["optimizer"])
    return "run:" + json.dumps(shared, sort_keys=True, default=str)


def _surface(ref: Mapping[str, Any]):
    domain = ref.get("domain")
    box = None if domain is None else (tuple(domain["x"]), tuple(domain["y"]))
    return surface_from_ref(ref["name"], ref.get("params") or {}, ref.get("expr"), box)


def run_batch_jobs(jobs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Run every job (all with one `group_key`); one result dict per job, in order."""
    steps = int(jobs[0]["steps"])
    rows = max(1, PATH_FLOATS // (2 * (steps + 1)))
    out: list[dict[str, Any]] = []
    for i in range(0, len(jobs), rows):
        out.extend(_run(jobs[i:i + rows]))
    return out


def _run(jobs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    first = jobs[0]
    surface = _surface(first["surface"])
    steps = int(first["steps"])
    schedule = first["schedule"]
    schedule = make_schedule(schedule["name"], {k: v for k, v in schedule.items() if k != "name"})
    noise = Noise(float(first["noise"]["sigma"]), int(first["noise"]["seed"]))
    target = first.get("target_loss")
    opt = optim.batched([j["optimizer"] for j in jobs])
    lrs = np.array([float(optim.resolved(j["optimizer"])["lr"]) for j in jobs]).reshape(-1, 1)
    lr = lrs[0, 0] if np.all(lrs == lrs[0, 0]) else lrs
    starts = np.array([j["start"] for j in jobs], dtype=float)
    result = run_batch(surface.grad, surface.value, opt, starts, steps, lr, schedule=schedule, noise=noise,
                       record_path=True, hessian_fn=surface.hessian)
    with np.errstate(all="ignore"):
        losses = surface.value(result.path)  # (steps+1, B), NaN after divergence
    diverged = result.diverged_at >= 0
    labels = label_points(result.final, result.final_grad_norm, diverged, surface.minima_array(),
                          CONVERGED_GRAD_NORM, default_radius(surface.domain))
    out = []
    for k in range(len(jobs)):
        taken = int(result.diverged_at[k]) if diverged[k] else steps
        kept = losses[:taken + 1, k]
        valid = bool(np.isfinite(kept[0])) if kept.size else False
        hits = np.flatnonzero(kept <= target) if target is not None and valid else np.zeros(0, dtype=int)
        status = "diverged" if diverged[k] else (
            "converged" if result.final_grad_norm[k] < CONVERGED_GRAD_NORM else "max_steps")
        out.append({
            "final_loss": float(result.final_loss[k]) if valid else None,
            "best_loss": float(np.nanmin(kept)) if valid else None,
            "accuracy": None,
            "status": status,
            "diverged_at": taken if diverged[k] else None,
            "steps_to_target": int(hits[0]) if hits.size else None,
            "final_point": [float(v) for v in result.final[k]] if valid else None,
            "minimum": int(labels[k]),
        })
    return out
