"""The one stepping loop behind every optimizer run on a surface (`engine.run`'s runners).

A `Stepper` holds M iterates (M, d) shared by members: each member is one optimizer stepping a
contiguous block of rows with its own learning-rate table. `run_many` makes one member of one
row per optimizer (all from the same start); `run_batch` one member over N starts. Every update
t of every row is

    g̃ = ∇f(x_t) + ξ_t            (ξ_t: the request's shared noise, if any)
    x_{t+1}, state = optimizer.update(g̃, state, x_t, lr[t])        (Newton also gets H(x_t),
                                   L-BFGS a closure x ↦ (f(x), ∇f(x) + ξ_t))

and `advance(n)` returns a `Block` of n updates with each row's iterates, losses, squared
gradient norms and how many of them are kept under the one divergence rule
(`engine.divergence`), applied per block over all rows at once. A member whose rows have all
diverged is no longer stepped.

Members step through the optimizer's numpy `update` (the definition, torch-exact), several at once
so that one gradient call serves them all, or, where `engine.kernels` has a compiled kernel for
the (surface, optimizer) pair, through that kernel: a fused loop giving the same numbers bit for
bit. Which path runs never changes a number, only the time it takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import kernels
from engine.divergence import first_invalid, sq_norm
from engine.optimizers import Optimizer


@dataclass
class FunctionProblem:
    """A loss given as plain functions (no kernel, no loss ceiling): what `run_batch` gets
    when its functions are not a surface's own methods."""

    grad: Callable[[np.ndarray], np.ndarray]
    value: Callable[[np.ndarray], np.ndarray]
    hessian_fn: Callable[[np.ndarray], np.ndarray] | None = None

    def hessian(self, points: np.ndarray) -> np.ndarray:
        if self.hessian_fn is None:
            raise ValueError("this optimizer needs the Hessian: pass hessian_fn")
        return self.hessian_fn(points)


def aux_rows(opt: Optimizer, state: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """The optimizer's extra per-iterate arrays (`Optimizer.aux`), or {}."""
    return {k: np.array(v, dtype=float) for k, v in opt.aux(state, x).items()} if opt.aux else {}


def closure_for(value_fn: Callable, grad_fn: Callable, noise: np.ndarray | None = None) -> Callable:
    """fn(x) -> (f(x), ∇f(x) + noise) for optimizers that evaluate several points per update (L-BFGS);
    every evaluation of update t sees that update's noise draw."""
    if noise is None:
        return lambda p: (value_fn(p), grad_fn(p))
    return lambda p: (value_fn(p), grad_fn(p) + noise)


@dataclass
class Member:
    optimizer: Optimizer
    rows: slice
    lrs: np.ndarray  # (steps,) or (rows, steps): lr of update t in column t
    state: Any = None  # numpy state (fallback path)
    fast: Any = None  # compiled runner (engine.kernels), or None
    alive: bool = True

    def lr(self, t: int) -> Any:
        return self.lrs[t] if self.lrs.ndim == 1 else self.lrs[:, t:t + 1]


@dataclass
class Block:
    """Updates t0+1 .. t0+n of every row: `points[k]` is iterate t0+1+k (rows along axis 1)."""

    t0: int
    points: np.ndarray  # (n, M, d)
    loss: np.ndarray  # (n, M)
    grad_sq: np.ndarray  # (n, M) |∇f|² without noise
    kept: np.ndarray  # (M,) iterates kept per row (0 for rows dead before the block)
    was_alive: np.ndarray  # (M,) rows alive at the start of the block
    aux: dict[int, dict[str, np.ndarray]]  # member index -> its optimizer's aux arrays (n, rows, ...)


class Stepper:
    def __init__(self, problem: Any, members: Sequence[Member], x0: np.ndarray, xi: np.ndarray | None,
                 limit: Any, use_kernels: bool = True) -> None:
        self.problem, self.members, self.xi, self.limit = problem, list(members), xi, limit
        self.x = np.array(x0, dtype=float)
        self.t = 0
        with np.errstate(all="ignore"):
            self.g = problem.grad(self.x)
            self.loss0 = np.asarray(problem.value(self.x), dtype=float)
        self.grad_sq0 = sq_norm(self.g)
        self.alive = first_invalid(self.x[None], self.loss0[None], limit) == 1  # (M,)
        for m in self.members:
            m.alive = bool(self.alive[m.rows].any())
            rows = self.x[m.rows]
            m.fast = kernels.fast_runner(problem, m.optimizer, rows, m.lrs, xi) if use_kernels else None
            if m.fast is None:
                m.state = m.optimizer.init(rows)

    def advance(self, n: int, seconds: float = float("inf")) -> Block:
        """Up to n updates (fewer if the numpy path takes longer than `seconds`; at least one)."""
        live = [m for m in self.members if m.alive]
        M, d = self.x.shape
        points, grads = np.empty((n, M, d)), np.empty((n, M, d))
        aux: dict[int, dict[str, np.ndarray]] = {}
        done = self._numpy([m for m in live if m.fast is None], n, seconds, points, grads, aux)
        with np.errstate(all="ignore"):
            for m in live:
                if m.fast is not None:
                    m.fast.advance(self.x[m.rows], self.g[m.rows], self.t, done,
                                   points[:done, m.rows], grads[:done, m.rows])
            points, grads = points[:done], grads[:done]
            loss = np.asarray(self.problem.value(points), dtype=float)
            grad_sq = sq_norm(grads)
        was_alive = self.alive.copy()
        kept = np.where(was_alive, first_invalid(points, loss, self.limit), 0)
        self.alive &= kept == done
        for m in live:
            m.alive = bool(self.alive[m.rows].any())
        block = Block(self.t, points, loss, grad_sq, kept, was_alive, aux)
        self.t += done
        return block

    def _numpy(self, members: list[Member], n: int, seconds: float, points: np.ndarray,
               grads: np.ndarray, aux: dict[int, dict[str, np.ndarray]]) -> int:
        """The numpy path: all its members in lockstep on a compact copy of their rows (one
        gradient call per update for all of them); returns the number of updates done."""
        if not members:
            return n
        spans = [(m.rows.start or 0, m.rows.stop if m.rows.stop is not None else len(self.x)) for m in members]
        index = np.concatenate([np.arange(a, b) for a, b in spans])
        whole = len(index) == len(self.x)
        x = self.x if whole else self.x[index]
        g = self.g if whole else self.g[index]
        local, offset = [], 0
        for a, b in spans:
            local.append(slice(offset, offset + b - a))
            offset += b - a
        needs_hessian = any(m.optimizer.needs_hessian for m in members)
        began, done = time.perf_counter(), n
        pts, grs = (points, grads) if whole else (np.empty((n, *x.shape)), np.empty((n, *x.shape)))
        recorded: dict[int, list[dict[str, np.ndarray]]] = {}
        with np.errstate(all="ignore"):
            for k in range(n):
                t = self.t + k
                noisy = g if self.xi is None else g + self.xi[t]
                hess = self.problem.hessian(x) if needs_hessian else None
                for m, rows in zip(members, local, strict=True):
                    opt = m.optimizer
                    extra = {"hessian": hess[rows]} if opt.needs_hessian else {}
                    if opt.needs_closure:
                        extra["closure"] = closure_for(self.problem.value, self.problem.grad,
                                                       None if self.xi is None else self.xi[t])
                    x[rows], m.state = opt.update(noisy[rows], m.state, x[rows], m.lr(t), **extra)
                    if opt.aux:
                        recorded.setdefault(id(m), []).append(aux_rows(opt, m.state, x[rows]))
                g = self.problem.grad(x)
                pts[k], grs[k] = x, g
                if time.perf_counter() - began > seconds:
                    done = k + 1
                    break
        for i, m in enumerate(self.members):
            if id(m) in recorded:
                rows = recorded[id(m)][:done]
                aux[i] = {key: np.array([r[key] for r in rows]) for key in rows[0]}
        if not whole:
            points[:done, index], grads[:done, index] = pts[:done], grs[:done]
            self.x[index], self.g[index] = x, g
        else:
            self.g = g
        return done
