"""B network trainings that share data, architecture and minibatch order, as one batch.

This is `engine.nn.train.train_iter` for one optimizer, with the B weight vectors of a batch
stacked as (B, d): the forward and backward passes are `MLP.forward_cache` and
`MLP.grad_from_cache` (compiled per-row loops, `engine.nn.kernel`, as the single training's), the
update is one call of a batched optimizer (`engine.sweep.optim`), and each row follows the
single run's rules: records at t = 0, k, 2k, … and the last step (full-data loss and accuracy
from `MLP.evaluate`), a row stops ("diverged") at the first record with a non-finite loss or the
first step whose loss or gradient is non-finite. So row b's numbers equal those of
`/api/network/train` with row b's settings, bit for bit.

Full-batch trainings record from the forward pass of the gradient itself (the same per-example
losses summed in the same order as `evaluate` sums them), which saves a forward pass per step.

Per row: final (last recorded) loss and accuracy, best recorded loss, the first recorded step
with loss ≤ target, diverged_at, and λmax at the last step when `sharpness_iters` is set (one
single-vector Lanczos per row, as the single run computes it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.nn.datasets import make_dataset
from engine.nn.hessian import lam_max
from engine.nn.losses import loss_terms
from engine.nn.mlp import MLP
from engine.nn.train import _batches
from engine.schedules import make_schedule
from engine.sweep import optim

try:  # the one divergence rule of engine.nn.train (engine/divergence.py), where this tree has it
    from engine.divergence import keepable, network_ceiling
except ImportError:  # the older rule: only non-finite losses and gradients
    keepable = network_ceiling = None

SHARED = ("dataset", "steps", "batch_size", "shuffle_seed", "record_every", "sharpness_iters", "target_loss")


def group_key(job: Mapping[str, Any]) -> str:
    """Jobs with equal keys can share a batch: same data, architecture, steps, minibatch order,
    record cadence, optimizer name and flags. Init, hyperparameter values and schedule may differ."""
    model = job["model"]
    shared = {key: job.get(key) for key in SHARED}
    shared["arch"] = [model["hidden"], model["activation"], model["loss"]]
    shared["optimizer"] = optim.shape_key(job["optimizer"])
    return "network:" + json.dumps(shared, sort_keys=True, default=str)


def _lr(spec: Mapping[str, Any]) -> float:
    return float(optim.resolved(spec)["lr"])


def train_batch(jobs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Train every job (all with one `group_key`) together; one result dict per job, in order."""
    first = jobs[0]
    spec = first["dataset"]
    data = make_dataset(spec["name"], spec["n"], spec["seed"], **spec.get("params", {}))
    arch = first["model"]
    model = MLP(arch["hidden"], arch["activation"], arch["loss"])
    X, y = data.X, data.y
    N, B, steps = len(y), len(jobs), int(first["steps"])
    every = int(first["record_every"])
    classify = data.task == "classification"
    target = first.get("target_loss")
    W = np.stack([model.init(j["model"]["seed"], j["model"]["init"], j["model"]["sigma"]) for j in jobs])
    opt = optim.batched([j["optimizer"] for j in jobs])
    lrs = np.stack([make_schedule(j["schedule"]["name"], {k: v for k, v in j["schedule"].items() if k != "name"})
                    .lrs(_lr(j["optimizer"]), steps) for j in jobs])  # (B, steps), as the single run's table
    state = opt.init(W.copy())
    batch_size = first.get("batch_size")
    full = batch_size is None or batch_size >= N
    fused = full and model._blocks(B, N)[1] == N  # evaluate sums all N examples in one block
    batches = _batches(N, batch_size, int(first["shuffle_seed"]))

    active = np.ones(B, dtype=bool)
    diverged_at = np.full(B, -1)
    last_loss, last_acc = np.full(B, np.nan), np.full(B, np.nan)
    last_step = np.zeros(B, dtype=int)
    best = np.full(B, np.inf)
    hit = np.full(B, -1)

    # each training's loss ceiling from its own w₀, as train_iter computes it (model.loss per row)
    limit = network_ceiling(model.loss(W, X, y)) if network_ceiling is not None else None

    def kept(idx: np.ndarray, rows_w: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """train_iter's divergence rule for these rows (weights rows_w, loss)."""
        if keepable is None:
            return np.isfinite(loss)
        return keepable(rows_w, loss, limit[idx])

    def record(idx: np.ndarray, t: int, loss: np.ndarray, acc: np.ndarray, rows_w: np.ndarray) -> None:
        ok = kept(idx, rows_w, loss)
        bad = idx[~ok]
        active[bad], diverged_at[bad] = False, t
        good = idx[ok]
        last_loss[good], last_acc[good], last_step[good] = loss[ok], acc[ok], t
        best[good] = np.minimum(best[good], loss[ok])
        if target is not None:
            reached = good[(loss[ok] <= target) & (hit[good] < 0)]
            hit[reached] = t

    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            recording = t % every == 0 or t == steps
            rows_w = W if idx.size == B else W[idx]  # no gather while every row is alive
            if recording and fused and t < steps:
                loss, acc, grads = _loss_acc_grad(model, rows_w, X, y)
                keep = kept(idx, rows_w, loss)
                record(idx, t, loss, acc, rows_w)
                idx, loss, grads, rows_w = idx[keep], loss[keep], grads[keep], rows_w[keep]
            else:
                if recording:
                    loss, acc = model.evaluate(rows_w, X, y)
                    record(idx, t, np.asarray(loss), np.asarray(acc), rows_w)
                    idx = np.flatnonzero(active)
                    rows_w = W if idx.size == B else W[idx]
                if t == steps or idx.size == 0:
                    break
                rows = next(batches)
                Xb, yb = (X, y) if rows is None else (X[rows], y[rows])
                loss, grads = model.loss_and_grad(rows_w, Xb, yb)
            ok = kept(idx, rows_w, loss) & np.all(np.isfinite(grads), axis=1)
            if idx.size == B and ok.all():
                G = grads  # the common case: every row steps
            else:
                active[idx[~ok]], diverged_at[idx[~ok]] = False, t
                G = np.zeros_like(W)
                G[idx[ok]] = grads[ok]
            W, state = opt.update(G, state, W, lrs[:, t:t + 1])
        lam = np.full(B, np.nan)
        if first.get("sharpness_iters"):
            for k in np.flatnonzero(active):
                lam[k] = lam_max(model, W[k], X, y, iters=int(first["sharpness_iters"]))

    out = []
    for k in range(B):
        diverged = diverged_at[k] >= 0
        recorded = np.isfinite(last_loss[k])
        out.append({
            "final_loss": float(last_loss[k]) if recorded else None,
            "best_loss": float(best[k]) if recorded else None,
            "accuracy": float(last_acc[k]) if recorded and classify else None,
            "status": "diverged" if diverged else ("converged" if hit[k] >= 0 else "max_steps"),
            "diverged_at": int(diverged_at[k]) if diverged else None,
            "steps_to_target": int(hit[k]) if hit[k] >= 0 else None,
            "final_step": int(last_step[k]),
            "lam_max": float(lam[k]) if np.isfinite(lam[k]) else None,
        })
    return out


def _loss_acc_grad(model: MLP, W: np.ndarray, X: np.ndarray, y: np.ndarray):
    """(loss, accuracy, ∇E) of a (B, d) batch from one forward pass: `MLP._backprop`'s gradient
    (`MLP.grad_from_cache`) with `MLP.evaluate`'s loss and accuracy (per-example terms summed over
    the N examples, / N)."""
    B, N = W.shape[0], X.shape[0]
    rows, _ = model._blocks(B, N)
    cut = 0.0 if model.loss_name == "bce" else 0.5
    truth = y > 0.5
    loss, acc, grad = np.empty(B), np.empty(B), np.empty_like(W)
    for i in range(0, B, rows):
        Wi = W[i:i + rows]
        zs, acts = model.forward_cache(Wi, X)
        f = zs[-1][..., 0]
        ell, d_ell = loss_terms(model.loss_name, f, y)
        loss[i:i + rows] = ell.sum(-1) / N
        acc[i:i + rows] = ((f > cut) == truth).sum(-1) / N
        grad[i:i + rows] = model.grad_from_cache(Wi, zs, acts, d_ell)
    return loss, acc, grad
