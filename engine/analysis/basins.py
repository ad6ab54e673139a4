"""Basins of attraction: every point of an n×n grid over the domain is a start of one batched run.

Start (x[j], y[i]) is cell (i, j), the layout of `/api/grid`. After `steps` updates each start
gets a label:

    −1  the run diverged (the one rule of engine.divergence: non-finite, |x| > 1e6 or the loss ceiling)
    k   the final point is within `radius` of minimum k (index into `surface.minima`, nearest
        one) and its gradient norm is below `tol`
    −2  otherwise: not converged within the tolerances (still moving, or stuck at a saddle or
        an unlisted stationary point)

`steps_to_converge` is the first t with |∇f(x_t)| < tol for starts labelled k ≥ 0, else −1.
Defaults: tol = 1e-6 (the gradient norm under which `/api/run` calls a run "converged", so a
label ≥ 0 means that run would end "converged" at that minimum), radius = 1 % of the domain's
diagonal. With gradient noise every start sees the same ξ sequence that `/api/run` draws for that
seed, so a pixel is exactly the run `/api/run` gives from that start (a start never depends on its batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.optimizers import Optimizer
from engine.run import CONVERGED_GRAD_NORM, Noise, run_batch
from engine.schedules import Schedule
from engine.surfaces import Surface

DIVERGED = -1
NOT_CONVERGED = -2
RADIUS_FRACTION = 0.01  # default radius as a fraction of the domain's diagonal


@dataclass
class BasinMap:
    x: np.ndarray  # (n,)
    y: np.ndarray  # (n,)
    label: np.ndarray  # (n, n) int: label[i, j] of the start (x[j], y[i])
    steps_to_converge: np.ndarray  # (n, n) int, −1 where never (or not labelled with a minimum)
    minima: np.ndarray  # (m, 2), the surface's minima (global first)
    counts: dict[int, int]  # label -> number of starts, for −2, −1, 0..m−1
    tol: float
    radius: float


def default_radius(domain) -> float:
    (xlo, xhi), (ylo, yhi) = domain
    return RADIUS_FRACTION * float(np.hypot(xhi - xlo, yhi - ylo))


def label_points(final: np.ndarray, grad_norm: np.ndarray, diverged: np.ndarray, minima: np.ndarray,
                 tol: float, radius: float) -> np.ndarray:
    """Labels (N,) of final points (N, 2) as in the module docstring."""
    n = final.shape[0]
    nearest = np.full(n, NOT_CONVERGED)
    best = np.full(n, np.inf)
    with np.errstate(invalid="ignore"):
        for k, minimum in enumerate(minima):  # over the (few) minima, vectorized over starts
            dist = np.hypot(final[:, 0] - minimum[0], final[:, 1] - minimum[1])
            closer = dist < best
            best = np.where(closer, dist, best)
            nearest = np.where(closer, k, nearest)
        reached = (best <= radius) & (grad_norm < tol)
    labels = np.where(reached, nearest, NOT_CONVERGED)
    return np.where(diverged, DIVERGED, labels)


def basins(surface: Surface, optimizer: Optimizer, steps: int, n: int, domain=None,
           schedule: Schedule | None = None, noise: Noise | None = None,
           tol: float = CONVERGED_GRAD_NORM, radius: float | None = None) -> BasinMap:
    """Label every start of the n×n grid over `domain` (default: the surface's) after `steps` updates."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    domain = domain or surface.domain
    radius = default_radius(domain) if radius is None else float(radius)
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    (xlo, xhi), (ylo, yhi) = domain
    x, y = np.linspace(xlo, xhi, n), np.linspace(ylo, yhi, n)
    starts = np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)  # row k = i·n + j is (x[j], y[i])
    result = run_batch(surface.grad, surface.value, optimizer, starts, steps, optimizer.hparams["lr"],
                       schedule=schedule, noise=noise, tol=tol, hessian_fn=surface.hessian)
    minima = surface.minima_array()
    labels = label_points(result.final, result.final_grad_norm, result.diverged_at >= 0, minima, tol, radius)
    steps_to_converge = np.where(labels >= 0, result.converged_at, -1)
    values, counts = np.unique(labels, return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    all_counts = {k: found.get(k, 0) for k in (NOT_CONVERGED, DIVERGED, *range(len(minima)))}
    return BasinMap(x, y, labels.reshape(n, n), steps_to_converge.reshape(n, n), minima, all_counts,
                    float(tol), radius)
