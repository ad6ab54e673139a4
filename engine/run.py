"""Batched runners: several optimizers from one start, or one optimizer from many starts.

Conventions (the API contract's):
- `path[0]` is the start; `path[t]` the point after t updates; `loss[t]`, `grad_norm[t]`
  belong to `path[t]` (grad_norm is |∇f|, without noise or weight decay); `lr[t]` is the
  scheduled learning rate of update t+1 (the one that produced `path[t+1]`).
- A run takes exactly `steps` updates unless it diverges: the first iterate that is
  non-finite, has a non-finite loss or a norm above `DIVERGENCE_NORM` ends the run and is
  not kept. `status` is then "diverged", else "converged" when the final gradient norm is
  below `CONVERGED_GRAD_NORM`, else "max_steps".
- Gradient noise σ·ξ_t (ξ_t ~ N(0, I) from `seed`) is drawn once per request, so every
  optimizer of a request sees the same sequence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.optimizers import Optimizer
from engine.schedules import Schedule, make_schedule
from engine.surfaces import Surface

DIVERGENCE_NORM = 1e6
CONVERGED_GRAD_NORM = 1e-6


@dataclass(frozen=True)
class Noise:
    sigma: float = 0.0
    seed: int = 0

    def draws(self, steps: int, dim: int) -> np.ndarray | None:
        """σ·ξ_t for t = 0..steps-1, or None without noise. Drawn whole so chunking cannot change it."""
        if self.sigma <= 0:
            return None
        return self.sigma * np.random.default_rng(self.seed).standard_normal((steps, dim))


@dataclass
class Chunk:
    """Iterates `offset .. offset+len(path)-1` of run `run`; `lr[k]` produced `path[k]`
    (so the first chunk, which starts with the start point, has one lr fewer)."""

    run: int
    offset: int
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    aux: dict[str, np.ndarray] = field(default_factory=dict)  # the optimizer's `aux` arrays, aligned with path


@dataclass
class RunResult:
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    status: str = "max_steps"
    steps_taken: int = 0
    aux: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. aux_path (ASGD's x̄), func_evals (L-BFGS)


@dataclass
class _Track:
    """Mutable bookkeeping of one run inside the lockstep loop."""

    optimizer: Optimizer
    state: object
    lrs: np.ndarray
    alive: bool = True
    steps_taken: int = 0
    final_grad_norm: float = field(default=np.nan)


def _aux_rows(opt: Optimizer, state: object, x: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in opt.aux(state, x).items()} if opt.aux else {}


def closure_for(value_fn: Callable, grad_fn: Callable, noise: np.ndarray | None = None) -> Callable:
    """fn(x) -> (f(x), ∇f(x) + noise) for optimizers that evaluate several points per update (L-BFGS);
    every evaluation of update t sees that update's noise draw."""
    if noise is None:
        return lambda p: (value_fn(p), grad_fn(p))
    return lambda p: (value_fn(p), grad_fn(p) + noise)


def _status(track: _Track) -> str:
    if not track.alive:
        return "diverged"
    return "converged" if track.final_grad_norm < CONVERGED_GRAD_NORM else "max_steps"


def keepable(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """The contract's divergence rule, elementwise: an iterate is kept iff its loss is finite and
    |x| ≤ DIVERGENCE_NORM. `|x|² <= limit²` is False for NaN/inf coordinates, so it also checks
    finiteness; squared norms by component, because np.linalg.norm over a length-2 axis was
    several times slower and dominated the batched loop."""
    with np.errstate(all="ignore"):
        return np.isfinite(loss) & (_sq_norm(points) <= DIVERGENCE_NORM * DIVERGENCE_NORM)


def first_invalid(points: np.ndarray, loss: np.ndarray) -> int:
    """Index of the first diverged iterate along axis 0 of `points` (..., 2), or len if none."""
    hits = np.flatnonzero(~keepable(points, loss))
    return int(hits[0]) if hits.size else len(points)


def iterate_runs(
    surface: Surface,
    optimizers: Sequence[Optimizer],
    start: Sequence[float],
    steps: int,
    schedule: Schedule | None = None,
    noise: Noise | None = None,
    chunk_steps: int = 64,
    chunk_seconds: float = 0.02,
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[Chunk | list[dict]]:
    """Run every optimizer from `start` in lockstep, yielding `Chunk`s as they are computed
    (about every `chunk_steps` updates or `chunk_seconds`, whichever comes first), and
    finally a list of `{"status", "steps_taken"}` per run. Stops early if `cancelled()`.
    """
    schedule = schedule or make_schedule("constant")
    x0 = np.asarray(start, dtype=float)
    xi = (noise or Noise()).draws(steps, x0.shape[-1])
    tracks = [_Track(opt, opt.init(x0), schedule.lrs(opt.hparams["lr"], steps)) for opt in optimizers]
    needs_hessian = any(opt.needs_hessian for opt in optimizers)
    n_runs = len(tracks)

    g0 = surface.grad(x0)
    loss0 = float(surface.value(x0))
    gnorm0 = float(np.linalg.norm(g0))
    start_ok = first_invalid(x0[None], np.array([loss0])) == 1
    for i, track in enumerate(tracks):
        track.final_grad_norm = gnorm0
        track.alive = start_ok
        if start_ok:
            aux0 = {k: v[None] for k, v in _aux_rows(track.optimizer, track.state, x0).items()}
            yield Chunk(i, 0, x0[None].copy(), np.array([loss0]), np.array([gnorm0]), np.empty(0), aux0)

    x = np.tile(x0, (n_runs, 1))
    t = 0
    while t < steps and any(tr.alive for tr in tracks) and not cancelled():
        block = min(chunk_steps, steps - t)
        points = np.empty((block, n_runs, x0.shape[-1]))
        aux_rows: list[list[dict]] = [[] for _ in tracks]  # only optimizers with `aux` fill theirs
        began = time.perf_counter()
        done = block
        errstate = np.errstate(all="ignore")
        errstate.__enter__()
        for k in range(block):
            grads = surface.grad(x)
            if xi is not None:
                grads = grads + xi[t + k]
            hess = surface.hessian(x) if needs_hessian else None
            for i, tr in enumerate(tracks):
                if not tr.alive:
                    continue
                extra = {"hessian": hess[i]} if tr.optimizer.needs_hessian else {}
                if tr.optimizer.needs_closure:
                    extra["closure"] = closure_for(surface.value, surface.grad, None if xi is None else xi[t + k])
                x[i], tr.state = tr.optimizer.update(grads[i], tr.state, x[i], tr.lrs[t + k], **extra)
                if tr.optimizer.aux:
                    aux_rows[i].append(_aux_rows(tr.optimizer, tr.state, x[i]))
            points[k] = x
            if time.perf_counter() - began > chunk_seconds:
                done = k + 1
                break
        points = points[:done]
        loss = surface.value(points)
        gnorm = np.linalg.norm(surface.grad(points), axis=-1)
        errstate.__exit__(None, None, None)
        for i, tr in enumerate(tracks):
            if not tr.alive:
                continue
            keep = first_invalid(points[:, i], loss[:, i])
            if keep:
                aux = {key: np.array([row[key] for row in aux_rows[i][:keep]]) for key in
                       (aux_rows[i][0] if aux_rows[i] else {})}
                yield Chunk(i, t + 1, points[:keep, i].copy(), loss[:keep, i], gnorm[:keep, i],
                            tr.lrs[t:t + keep], aux)
                tr.final_grad_norm = float(gnorm[keep - 1, i])
            tr.steps_taken = t + keep
            if keep < done:
                tr.alive = False
        t += done
    yield [{"status": _status(tr), "steps_taken": tr.steps_taken} for tr in tracks]


def run_many(surface: Surface, optimizers: Sequence[Optimizer], start: Sequence[float], steps: int,
             schedule: Schedule | None = None, noise: Noise | None = None) -> list[RunResult]:
    """All runs, joined: what `/api/run` returns (the stream's chunks concatenated)."""
    parts: list[list[Chunk]] = [[] for _ in optimizers]
    final: list[dict] = []
    for item in iterate_runs(surface, optimizers, start, steps, schedule, noise,
                             chunk_steps=max(steps, 1), chunk_seconds=float("inf")):
        if isinstance(item, Chunk):
            parts[item.run].append(item)
        else:
            final = item
    results = []
    for chunks, end in zip(parts, final, strict=True):
        if chunks:
            joined = [np.concatenate([getattr(c, key) for c in chunks]) for key in ("path", "loss", "grad_norm", "lr")]
            aux = {key: np.concatenate([c.aux[key] for c in chunks]) for key in chunks[0].aux}
            results.append(RunResult(*joined, **end, aux=aux))
        else:  # the start itself was invalid
            results.append(RunResult(np.empty((0, 2)), np.empty(0), np.empty(0), np.empty(0), **end))
    return results


@dataclass
class BatchResult:
    """One optimizer from N starts. Index arrays use −1 for 'never'."""

    final: np.ndarray  # (N, d) last kept iterate
    final_loss: np.ndarray  # (N,)
    final_grad_norm: np.ndarray  # (N,)
    diverged_at: np.ndarray  # (N,) update count kept before divergence, −1 if it never diverged
    converged_at: np.ndarray  # (N,) first t with |∇f(x_t)| < tol, −1 if never
    path: np.ndarray | None = None  # (steps+1, N, d) when recorded (NaN after divergence)


def run_batch(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    value_fn: Callable[[np.ndarray], np.ndarray],
    optimizer: Optimizer,
    starts: np.ndarray,
    steps: int,
    lr: float | np.ndarray,
    schedule: Schedule | None = None,
    noise: Noise | None = None,
    tol: float = CONVERGED_GRAD_NORM,
    record_path: bool = False,
    hessian_fn: Callable[[np.ndarray], np.ndarray] | None = None,
) -> BatchResult:
    """Step N starts (N, d) at once. `lr` may be an array broadcastable to (N, 1) (hyperparameter
    grids). Every start sees the same noise sequence ξ_t as `iterate_runs` draws for the request,
    and the same scheduled learning rates, so start i's numbers equal a single run's from that
    start bit for bit, whatever else is in the batch. Diverged starts are frozen at their last
    kept iterate so they cost nothing and never spread NaN into statistics."""
    schedule = schedule or make_schedule("constant")
    x = np.array(starts, dtype=float)
    n = x.shape[0]
    xi = (noise or Noise()).draws(steps, x.shape[-1])
    state = optimizer.init(x)
    diverged_at = np.full(n, -1)
    converged_at = np.full(n, -1)
    path = np.full((steps + 1, *x.shape), np.nan) if record_path else None
    # the whole table at once, as `Schedule.lrs` makes it for a single run: (steps,) or (N, steps)
    base_lr = np.asarray(lr, dtype=float)
    lr_table = base_lr * schedule.factor(np.arange(steps, dtype=float), base_lr)
    tol_sq = tol * tol  # squared norms throughout: see `keepable`
    with np.errstate(all="ignore"):
        grads = grad_fn(x)
        gnorm_sq = _sq_norm(grads)
        converged_at[gnorm_sq < tol_sq] = 0
        alive = keepable(x, value_fn(x))
        diverged_at[~alive] = 0
        if path is not None:
            path[0] = x
        for t in range(steps):
            noisy = grads if xi is None else grads + xi[t]
            lr_t = lr_table[..., t:t + 1] if lr_table.ndim > 1 else lr_table[t]
            extra = {"hessian": hessian_fn(x)} if optimizer.needs_hessian else {}
            if optimizer.needs_closure:
                extra["closure"] = closure_for(value_fn, grad_fn, None if xi is None else xi[t])
            new_x, state = optimizer.update(noisy, state, x, lr_t, **extra)
            ok = keepable(new_x, value_fn(new_x))
            if ok.all() and alive.all():  # the common case: skip the masked copy
                x = new_x
            else:
                diverged_at[alive & ~ok] = t
                alive &= ok
                x = np.where(alive[:, None], new_x, x)
            grads = grad_fn(x)
            gnorm_sq = _sq_norm(grads)
            converged_at[(converged_at < 0) & alive & (gnorm_sq < tol_sq)] = t + 1
            if path is not None:
                path[t + 1] = np.where(alive[:, None], x, np.nan)
        final_loss = value_fn(x)
    return BatchResult(x, final_loss, np.sqrt(gnorm_sq), diverged_at, converged_at, path)


def _sq_norm(v: np.ndarray) -> np.ndarray:
    """|v|² over the last axis (NaN/inf propagate). For small d, summing strided component
    columns is several times faster than any reduction over a length-d axis."""
    d = v.shape[-1]
    if d > 8:
        return np.einsum("...i,...i->...", v, v)
    total = v[..., 0] * v[..., 0]
    for k in range(1, d):  # over coordinates, not points
        total = total + v[..., k] * v[..., k]
    return total
