"""2D planes through weight space, the loss over them, and honest projections of paths.

A plane is w(α, β) = c + α d₁ + β d₂ around a centre c (d,) with directions
D = [d₁; d₂] (2, d) chosen by one of three methods:

* `random` — filter-normalized random directions (Li et al. 2018): a Gaussian direction
  whose row i of each weight matrix (the incoming weights of neuron i) is rescaled to
  ‖row i of W at c‖; bias entries set to 0. α, β are in units of "one filter norm".
* `hessian` — the top two Hessian eigenvectors at c (largest algebraic eigenvalues, Lanczos
  on exact HVPs), unit length; their eigenvalues are reported.
* `pca` — the top two principal directions of the (mean-centred) iterates of one or more
  trajectories, unit length, with the explained-variance ratio of each.

The grid loss is one batched pass of n² weight vectors through the network (in blocks,
see `MLP.loss`). `project` gives each iterate's plane coordinates (least squares, so
non-orthogonal directions are fine), its residual distance ‖w − c − Dᵀ(α, β)‖ from the
plane and the share of the path's variance the plane captures: the numbers that say
how much of a path the 2D picture shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.nn.datasets import Dataset
from engine.nn.hessian import LANCZOS_ITERS, top_eigenpairs
from engine.nn.mlp import MLP

METHODS = ("random", "hessian", "pca")
MAX_PLANE_N = 501


@dataclass
class Projection:
    coords: np.ndarray  # (T, 2) plane coordinates (α, β) of each iterate
    residual: np.ndarray  # (T,) distance of each iterate from the plane
    explained_variance: float  # share of the path's variance (about its mean) inside the plane, in [0, 1]

    def as_dict(self) -> dict:
        return {"alpha": self.coords[:, 0].tolist(), "beta": self.coords[:, 1].tolist(),
                "residual": self.residual.tolist(), "explained_variance": self.explained_variance}


@dataclass
class Plane:
    method: str
    center: np.ndarray  # (d,)
    directions: np.ndarray  # (2, d)
    alphas: np.ndarray  # (n,) coordinates along d₁ (x axis)
    betas: np.ndarray  # (n,) coordinates along d₂ (y axis)
    loss: np.ndarray  # (n, n): loss[i, j] = E(c + alphas[j] d₁ + betas[i] d₂), Plotly's z layout
    eigenvalues: np.ndarray | None = None  # (2,) for method "hessian"
    explained_variance: np.ndarray | None = None  # (2,) ratios for method "pca"

    def as_dict(self) -> dict:
        finite = self.loss[np.isfinite(self.loss)]
        return {"method": self.method, "alpha": self.alphas.tolist(), "beta": self.betas.tolist(),
                "loss": self.loss.tolist(),
                "zmin": float(finite.min()) if finite.size else None,
                "zmax": float(finite.max()) if finite.size else None,
                "eigenvalues": None if self.eigenvalues is None else self.eigenvalues.tolist(),
                "explained_variance": (None if self.explained_variance is None
                                       else self.explained_variance.tolist())}


def filter_normalized_directions(model: MLP, center: np.ndarray, seed: int = 0) -> np.ndarray:
    """Two random directions (2, d), each row of each weight matrix scaled to the norm of that
    neuron's incoming weights at `center`; biases 0 (Li et al. 2018, docs/theory.md)."""
    center = np.asarray(center, dtype=float).reshape(model.d)
    raw = np.random.default_rng(seed).standard_normal((2, model.d))
    out = np.zeros_like(raw)
    for (D, _), (Wc, _), lay in zip(model.unpack(raw), model.unpack(center[None]), model.layers, strict=True):
        target = np.linalg.norm(Wc[0], axis=-1)  # (out,) neuron norms
        scaled = D * (target / np.linalg.norm(D, axis=-1))[..., None]
        out[:, lay.w_start:lay.b_start] = scaled.reshape(2, -1)
    return out


def hessian_directions(model: MLP, center: np.ndarray, X: np.ndarray, y: np.ndarray,
                       iters: int = LANCZOS_ITERS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Top two Hessian eigenvectors (2, d) and their eigenvalues (2,), descending."""
    if model.d < 2:
        raise ValueError("a Hessian plane needs at least 2 weights")
    values, vectors = top_eigenpairs(model, center, X, y, k=2, iters=iters, seed=seed)
    return vectors, values


def pca_directions(paths: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top two principal directions (2, d) of the stacked iterates of one or more paths (T_i, d),
    and their explained-variance ratios σᵢ² / Σσ² (2,) (0 where the paths have no variance)."""
    stack = _stack(paths)
    centred = stack - stack.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    total = float(np.sum(s * s))
    dirs = np.zeros((2, stack.shape[1]))
    ratio = np.zeros(2)
    k = min(2, vt.shape[0])
    dirs[:k] = vt[:k]
    if total > 0:
        ratio[:k] = s[:k] ** 2 / total
    if k < 2 or not np.any(dirs[1]):  # fewer than two directions: complete with an orthogonal unit vector
        dirs = _complete(dirs)
    pivot = dirs[np.arange(2), np.argmax(np.abs(dirs), axis=-1)]
    return dirs * np.where(pivot < 0, -1.0, 1.0)[:, None], ratio


def plane_loss(model: MLP, center: np.ndarray, directions: np.ndarray, X: np.ndarray, y: np.ndarray,
               alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """loss[i, j] = E(c + alphas[j] d₁ + betas[i] d₂), all n_β·n_α vectors in one batched pass."""
    A, Bm = np.meshgrid(np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float))
    W = np.asarray(center, dtype=float) + A.reshape(-1, 1) * directions[0] + Bm.reshape(-1, 1) * directions[1]
    return model.loss(W, X, y).reshape(A.shape)


def project(path: np.ndarray, center: np.ndarray, directions: np.ndarray) -> Projection:
    """Plane coordinates, residual distance from the plane and explained variance of a path (T, d).

    coords solve min ‖(w − c) − Dᵀ(α, β)‖ (Gram system, directions need not be orthogonal);
    explained variance = Σ‖P(w_t − w̄)‖² / Σ‖w_t − w̄‖² with P the orthogonal projector on the
    plane (1 when the path does not move).
    """
    path = np.atleast_2d(np.asarray(path, dtype=float))
    D = np.asarray(directions, dtype=float)
    offsets = path - center
    basis, _ = np.linalg.qr(D.T)  # (d, 2) orthonormal basis of the plane
    inside = offsets @ basis
    coords = np.linalg.lstsq(D.T, offsets.T, rcond=None)[0].T
    residual = np.linalg.norm(offsets - inside @ basis.T, axis=-1)  # direct, not √(‖x‖² − ‖Px‖²): no cancellation
    centred = path - path.mean(axis=0)
    total = float(np.sum(centred * centred))
    captured = float(np.sum((centred @ basis) ** 2))
    explained = 1.0 if total <= 1e-300 else min(1.0, captured / total)
    return Projection(coords, residual, explained)


def auto_span(projections: Sequence[Projection], default: float = 1.0, margin: float = 1.25) -> float:
    """Half-width covering every projected iterate with a margin (or `default` if there are none)."""
    reach = [float(np.max(np.abs(p.coords))) for p in projections if p.coords.size]
    top = max(reach, default=0.0)
    return margin * top if top > 0 else default


def make_plane(model: MLP, data: Dataset, center: np.ndarray, method: str = "random", n: int = 41,
               span: float | None = None, seed: int = 0, paths: Sequence[np.ndarray] = (),
               iters: int = LANCZOS_ITERS) -> tuple[Plane, list[Projection]]:
    """The plane of `method` through `center`, its n×n loss grid over [−span, span]², and the
    projection of each of `paths`. span=None: cover the projected paths (else 1.0).
    `pca` needs at least one path."""
    if method not in METHODS:
        raise ValueError(f"plane: parameter 'method' must be one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_PLANE_N:
        raise ValueError(f"plane: parameter 'n' must be an integer in [2, {MAX_PLANE_N}], got {n!r}")
    if span is not None and not (np.isfinite(span) and span > 0):
        raise ValueError(f"plane: parameter 'span' must be a positive number, got {span!r}")
    center = np.asarray(center, dtype=float).reshape(model.d)
    eigenvalues = explained = None
    if method == "random":
        dirs = filter_normalized_directions(model, center, seed)
    elif method == "hessian":
        dirs, eigenvalues = hessian_directions(model, center, data.X, data.y, iters, seed)
    else:
        if not len(paths):
            raise ValueError("plane: method 'pca' needs at least one trajectory")
        dirs, explained = pca_directions(paths)
    projections = [project(p, center, dirs) for p in paths]
    half = float(span) if span is not None else auto_span(projections)
    grid = np.linspace(-half, half, n)
    loss = plane_loss(model, center, dirs, data.X, data.y, grid, grid)
    return Plane(method, center, dirs, grid, grid.copy(), loss, eigenvalues, explained), projections


def decision_grid(model: MLP, W: np.ndarray, data: Dataset, n: int = 101,
                  pad: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), prob) with prob[..., i, j] = P(class 1 | (xs[j], ys[i])) over the data's
    bounding box widened by `pad`; prob is (n, n) for one weight vector, (B, n, n) for a batch."""
    if data.task != "classification":
        raise ValueError(f"decision boundary needs a classification dataset, '{data.name}' is {data.task}")
    (xlo, xhi), (ylo, yhi) = data.bounds(pad)
    xs, ys = np.linspace(xlo, xhi, n), np.linspace(ylo, yhi, n)
    gx, gy = np.meshgrid(xs, ys)
    prob = model.predict_proba(W, np.stack([gx.ravel(), gy.ravel()], -1))
    return xs, ys, prob.reshape(*prob.shape[:-1], n, n)


def _stack(paths) -> np.ndarray:
    if isinstance(paths, np.ndarray):
        paths = [paths]
    if not len(paths):
        raise ValueError("at least one trajectory is required")
    return np.concatenate([np.atleast_2d(np.asarray(p, dtype=float)) for p in paths])


def _complete(dirs: np.ndarray) -> np.ndarray:
    """Make a (2, d) pair orthonormal, filling zero rows with coordinate-axis vectors."""
    d = dirs.shape[1]
    candidates = [row for row in dirs if np.linalg.norm(row) > 0] + list(np.eye(d)[:3])
    basis: list[np.ndarray] = []
    for v in candidates:
        for b in basis:
            v = v - (v @ b) * b
        if np.linalg.norm(v) > 1e-8:
            basis.append(v / np.linalg.norm(v))
        if len(basis) == 2:
            break
    return np.array(basis)
