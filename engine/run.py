"""Runners: several optimizers from one start (`iterate_runs`, `run_many`), or one optimizer from
many starts (`run_batch`: basins, phase diagrams, tuning). Both step through the one loop of
`engine.stepping` and stop runs by the one rule of `engine.divergence`.

Conventions (the API contract's):
- `path[0]` is the start; `path[t]` the point after t updates; `loss[t]`, `grad_norm[t]`
  belong to `path[t]` (grad_norm is |∇f|, without noise or weight decay); `lr[t]` is the
  scheduled learning rate of update t+1 (the one that produced `path[t+1]`).
- A run takes exactly `steps` updates unless it diverges (`engine.divergence`: a non-finite
  iterate or loss, a norm above `DIVERGENCE_NORM`, or a loss 10⁴ times higher above the
  surface's floor than its start and view); the first diverged iterate ends the run and is not
  kept. `status` is then "diverged", else "converged" when the final gradient norm is below
  `CONVERGED_GRAD_NORM`, else "max_steps".
- Gradient noise σ·ξ_t (ξ_t ~ N(0, I) from `seed`) is drawn once per request, so every
  optimizer of a request sees the same sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.divergence import DIVERGENCE_NORM, first_invalid, keepable, surface_ceiling
from engine.optimizers import Optimizer
from engine.schedules import Schedule, make_schedule
from engine.stepping import FunctionProblem, Member, Stepper, aux_rows, closure_for
from engine.surfaces import Surface

CONVERGED_GRAD_NORM = 1e-6
BATCH_POINT_STEPS = 1 << 18  # run_batch records at most this many (update, start) pairs per block

__all__ = ["CONVERGED_GRAD_NORM", "DIVERGENCE_NORM", "BatchResult", "Chunk", "Noise", "RunResult", "closure_for",
           "first_invalid", "iterate_runs", "keepable", "run_batch", "run_many"]


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
    use_kernels: bool = True,
) -> Iterator[Chunk | list[dict]]:
    """Run every optimizer from `start` in lockstep, yielding `Chunk`s as they are computed
    (about every `chunk_steps` updates or `chunk_seconds`, whichever comes first), and
    finally a list of `{"status", "steps_taken"}` per run. Stops early if `cancelled()`.
    `use_kernels=False` forces the numpy path (same numbers; for tests and benchmarks).
    """
    schedule = schedule or make_schedule("constant")
    x0 = np.asarray(start, dtype=float)
    xi = (noise or Noise()).draws(steps, x0.shape[-1])
    members = [Member(opt, slice(i, i + 1), schedule.lrs(opt.hparams["lr"], steps))
               for i, opt in enumerate(optimizers)]
    with np.errstate(all="ignore"):
        limit = surface_ceiling(surface, surface.value(x0))
    stepper = Stepper(surface, members, np.tile(x0, (len(members), 1)), xi, limit, use_kernels)
    steps_taken = [0] * len(members)
    grad_norm = np.sqrt(stepper.grad_sq0)
    for i in np.flatnonzero(stepper.alive):
        aux0 = aux_rows(members[i].optimizer, members[i].state, stepper.x[i:i + 1])  # rows (1, ...)
        yield Chunk(int(i), 0, x0[None].copy(), stepper.loss0[i:i + 1].copy(), grad_norm[i:i + 1].copy(),
                    np.empty(0), aux0)
    while stepper.t < steps and stepper.alive.any() and not cancelled():
        t = stepper.t
        block = stepper.advance(min(chunk_steps, steps - t), chunk_seconds)
        for i, m in enumerate(members):
            keep = int(block.kept[i])
            if not block.was_alive[i]:
                continue
            steps_taken[i] = t + keep
            if keep:
                aux = {key: rows[:keep, 0] for key, rows in block.aux.get(i, {}).items()}
                yield Chunk(i, t + 1, block.points[:keep, i].copy(), block.loss[:keep, i],
                            np.sqrt(block.grad_sq[:keep, i]), m.lrs[t:t + keep], aux)
                grad_norm[i] = np.sqrt(block.grad_sq[keep - 1, i])
    yield [{"status": _status(bool(alive), float(gn)), "steps_taken": taken}
           for alive, gn, taken in zip(stepper.alive, grad_norm, steps_taken, strict=True)]


def _status(alive: bool, final_grad_norm: float) -> str:
    if not alive:
        return "diverged"
    return "converged" if final_grad_norm < CONVERGED_GRAD_NORM else "max_steps"


def run_many(surface: Surface, optimizers: Sequence[Optimizer], start: Sequence[float], steps: int,
             schedule: Schedule | None = None, noise: Noise | None = None,
             use_kernels: bool = True) -> list[RunResult]:
    """All runs, joined: what `/api/run` returns (the stream's chunks concatenated)."""
    parts: list[list[Chunk]] = [[] for _ in optimizers]
    final: list[dict] = []
    for item in iterate_runs(surface, optimizers, start, steps, schedule, noise,
                             chunk_steps=max(steps, 1), chunk_seconds=float("inf"), use_kernels=use_kernels):
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
    use_kernels: bool = True,
) -> BatchResult:
    """Step N starts (N, d) at once. `lr` may be an array broadcastable to (N, 1) (hyperparameter
    grids). Every start sees the same noise sequence ξ_t as `iterate_runs` draws for the request,
    the same scheduled learning rates and the same divergence rule, so start i's numbers equal a
    single run's from that start bit for bit, whatever else is in the batch.

    Pass a surface's own bound methods (`surface.grad`, `surface.value`, `surface.hessian`) to get
    that surface's loss ceiling and compiled kernel; other functions get the contract's rule only
    (non-finite or |x| > 1e6) and the numpy path."""
    schedule = schedule or make_schedule("constant")
    x = np.array(starts, dtype=float)
    n, d = x.shape
    problem = _problem(grad_fn, value_fn, hessian_fn)
    xi = (noise or Noise()).draws(steps, d)
    # the whole table at once, as `Schedule.lrs` makes it for a single run: (steps,) or (N, steps)
    base_lr = np.asarray(lr, dtype=float)
    lr_table = base_lr * schedule.factor(np.arange(steps, dtype=float), base_lr)
    if lr_table.ndim > 1:
        lr_table = np.ascontiguousarray(np.broadcast_to(lr_table, (n, steps)))
    limit = np.inf
    if isinstance(problem, Surface):
        with np.errstate(all="ignore"):
            limit = surface_ceiling(problem, problem.value(x))
    stepper = Stepper(problem, [Member(optimizer, slice(0, n), lr_table)], x, xi, limit, use_kernels)
    tol_sq = tol * tol  # squared norms throughout: see `engine.divergence.sq_norm`
    final, final_loss, final_sq = x.copy(), stepper.loss0.copy(), stepper.grad_sq0.copy()
    diverged_at = np.where(stepper.alive, -1, 0)
    converged_at = np.where(stepper.alive & (final_sq < tol_sq), 0, -1)
    path = np.full((steps + 1, n, d), np.nan) if record_path else None
    if path is not None:
        path[0] = x
    block_steps = max(1, min(steps, BATCH_POINT_STEPS // max(n, 1)))
    rows = np.arange(n)
    while stepper.t < steps and stepper.alive.any():
        t = stepper.t
        block = stepper.advance(min(block_steps, steps - t))
        kept, done = block.kept, len(block.points)
        index = np.arange(done)[:, None]
        valid = index < kept  # (done, N) iterates kept
        hits = valid & (block.grad_sq < tol_sq) & (converged_at < 0)
        first_hit = np.argmax(hits, axis=0)
        converged_at = np.where(hits.any(axis=0), t + 1 + first_hit, converged_at)
        died = block.was_alive & (kept < done)
        diverged_at[died] = t + kept[died]
        last = np.maximum(kept - 1, 0)
        moved = kept > 0
        final[moved] = block.points[last, rows][moved]
        final_loss[moved] = block.loss[last, rows][moved]
        final_sq[moved] = block.grad_sq[last, rows][moved]
        if path is not None:
            path[t + 1:t + 1 + done] = np.where(valid[..., None], block.points, np.nan)
    return BatchResult(final, final_loss, np.sqrt(final_sq), diverged_at, converged_at, path)


def _problem(grad_fn, value_fn, hessian_fn) -> Surface | FunctionProblem:
    """The surface whose bound methods these are, or the functions as they are."""
    owner = getattr(grad_fn, "__self__", None)
    if (isinstance(owner, Surface) and getattr(value_fn, "__self__", None) is owner
            and getattr(grad_fn, "__func__", None) is getattr(type(owner).grad, "__func__", type(owner).grad)
            and getattr(value_fn, "__func__", None) is getattr(type(owner).value, "__func__", type(owner).value)
            and (hessian_fn is None or getattr(hessian_fn, "__self__", None) is owner)):
        return owner
    return FunctionProblem(grad_fn, value_fn, hessian_fn)
