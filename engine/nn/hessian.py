"""Exact Hessian-vector products (Pearlmutter's R-operator) and Lanczos eigenpairs.

`hvp(model, W, X, y, V)` returns H(w)·v without forming H: one forward pass of the
directional derivatives R{·} = d/dr (·)(w + r v)|₀ and one backward pass of R{δ}
(forward-over-reverse), costing about two gradient evaluations. With layer input a,
pre-activation z = a Wᵀ + b, a' = φ(z), output f = z_L, and v = (V_l, c_l) per layer:

    R{z_l} = R{a_{l−1}} W_lᵀ + a_{l−1} V_lᵀ + c_l,      R{a_l} = φ'(z_l) ⊙ R{z_l}   (R{a_0} = 0)
    R{δ_L} = ℓ''(f) R{f} / N
    R{∂E/∂W_l} = R{δ_l}ᵀ a_{l−1} + δ_lᵀ R{a_{l−1}},    R{∂E/∂b_l} = Σ_n R{δ_l}
    R{δ_{l−1}} = (R{δ_l} W_l + δ_l V_l) ⊙ φ'(z_{l−1}) + (δ_l W_l) ⊙ φ''(z_{l−1}) ⊙ R{z_{l−1}}

`lanczos` runs the symmetric Lanczos iteration with full re-orthogonalization on a batch
of B independent matrices at once (one HVP per iteration for all B), so its Ritz pairs
are reliable without explicit deflation; after m = d iterations they are the exact
eigenpairs. `top_eigenpairs` and `lam_max` (sharpness) read the largest algebraic ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.nn.losses import activate, activation_derivs, loss_terms
from engine.nn.mlp import MLP, _check_data, _transposed

LANCZOS_ITERS = 30  # default Krylov dimension (capped at d)


def hvp(model: MLP, W: np.ndarray, X: np.ndarray, y: np.ndarray, V: np.ndarray) -> np.ndarray:
    """H(w) v for one vector ((d,), (d,)) or a batch ((B, d), (B, d)): exact, by the R-operator."""
    Wb, single = model.as_batch(W)
    Vb, _ = model.as_batch(V)
    if Vb.shape != Wb.shape:
        raise ValueError(f"V must have the shape of W {Wb.shape}, got {Vb.shape}")
    X, y = _check_data(X, y, model.n_in)
    rows, _ = model._blocks(Wb.shape[0], X.shape[0])
    out = np.empty_like(Wb)
    with np.errstate(all="ignore"):
        for i in range(0, Wb.shape[0], rows):
            out[i:i + rows] = _r_op(model, Wb[i:i + rows], X, y, Vb[i:i + rows])
    return out[0] if single else out


def _r_op(model: MLP, W: np.ndarray, X: np.ndarray, y: np.ndarray, V: np.ndarray) -> np.ndarray:
    params, dirs = model.unpack(W), model.unpack(V)
    n_layers = len(params)
    zs, acts, r_zs, r_acts = [], [X], [], [None]  # R{a_0} = 0, kept as None
    for index, ((W_l, b_l), (V_l, c_l)) in enumerate(zip(params, dirs, strict=True)):
        a, r_a = acts[-1], r_acts[-1]
        W_t = _transposed(W_l)
        z = a @ W_t + b_l[:, None, :]
        r_z = a @ _transposed(V_l) + c_l[:, None, :]
        if r_a is not None:
            r_z = r_z + r_a @ W_t
        zs.append(z)
        r_zs.append(r_z)
        if index < n_layers - 1:
            a_next = activate(model.activation, z)
            acts.append(a_next)
            r_acts.append(activation_derivs(model.activation, z, a_next) * r_z)
    N = X.shape[0]
    f, r_f = zs[-1][..., 0], r_zs[-1][..., 0]
    _, d1, d2 = loss_terms(model.loss_name, f, y, order=2)
    delta = (d1 / N)[..., None]
    r_delta = (d2 * r_f / N)[..., None]
    out = np.empty_like(W)
    B = W.shape[0]
    for index in range(n_layers - 1, -1, -1):
        lay = model.layers[index]
        r_gw = np.swapaxes(r_delta, -1, -2) @ acts[index]
        if r_acts[index] is not None:
            r_gw = r_gw + np.swapaxes(delta, -1, -2) @ r_acts[index]
        out[:, lay.w_start:lay.b_start] = r_gw.reshape(B, -1)
        out[:, lay.b_start:lay.end] = r_delta.sum(-2)
        if index:
            phi1, phi2 = activation_derivs(model.activation, zs[index - 1], acts[index], order=2)
            back = delta @ params[index][0]
            r_delta = ((r_delta @ params[index][0] + delta @ dirs[index][0]) * phi1
                       + back * phi2 * r_zs[index - 1])
            delta = back * phi1
    return out


def lanczos(matvec: Callable[[np.ndarray], np.ndarray], v0: np.ndarray, iters: int = LANCZOS_ITERS,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ritz values (B, m) ascending and unit Ritz vectors (B, m, d) of B symmetric operators.

    `matvec` maps (B, d) → (B, d) (row b through operator b); v0 (B, d) are the start
    vectors; m = min(iters, d). Full re-orthogonalization (Gram–Schmidt twice against all
    previous Lanczos vectors); on breakdown (an invariant subspace is exhausted) the
    iteration restarts from a random vector orthogonal to the basis, with a zero
    off-diagonal, so T = QᵀAQ still holds.
    """
    v0 = np.atleast_2d(np.asarray(v0, dtype=float))
    B, d = v0.shape
    m = max(1, min(int(iters), d))
    rng = np.random.default_rng(seed)
    Q = np.zeros((B, m, d))
    alpha, beta = np.zeros((B, m)), np.zeros((B, m))
    q = _normalize(v0, rng)
    for j in range(m):
        Q[:, j] = q
        w = matvec(q)
        w = np.where(np.isfinite(w), w, 0.0)
        alpha[:, j] = np.einsum("bd,bd->b", w, q)
        scale = np.linalg.norm(w, axis=-1)
        basis = Q[:, :j + 1]
        for _ in range(2):
            w = w - np.einsum("bj,bjd->bd", np.einsum("bjd,bd->bj", basis, w), basis)
        if j + 1 == m:
            break
        b = np.linalg.norm(w, axis=-1)
        broke = b <= 1e-10 * np.maximum(scale, 1e-300)
        if np.any(broke):
            fresh = rng.standard_normal((B, d))
            for _ in range(2):
                fresh = fresh - np.einsum("bj,bjd->bd", np.einsum("bjd,bd->bj", basis, fresh), basis)
            w = np.where(broke[:, None], fresh, w)
            b = np.where(broke, 0.0, b)
        beta[:, j] = b
        q = _normalize(w, rng)
    T = np.zeros((B, m, m))
    idx = np.arange(m)
    T[:, idx, idx] = alpha
    T[:, idx[:-1], idx[1:]] = beta[:, :-1]
    T[:, idx[1:], idx[:-1]] = beta[:, :-1]
    values, S = np.linalg.eigh(T)
    vectors = np.einsum("bjk,bjd->bkd", S, Q)
    return values, vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _normalize(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    bad = ~(norm[..., 0] > 0)
    if np.any(bad):  # a zero start vector: any direction will do
        v = np.where(bad[:, None], rng.standard_normal(v.shape), v)
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / norm


def top_eigenpairs(model: MLP, w: np.ndarray, X: np.ndarray, y: np.ndarray, k: int = 2,
                   iters: int = LANCZOS_ITERS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The k largest (algebraic) Hessian eigenvalues (k,) descending and unit eigenvectors (k, d)
    at one weight vector w, by Lanczos on exact HVPs. Sign convention: the largest-magnitude
    component of each vector is positive."""
    w = np.asarray(w, dtype=float).reshape(model.d)
    if not 1 <= k <= model.d:
        raise ValueError(f"k must be in [1, {model.d}], got {k}")
    v0 = np.random.default_rng(seed).standard_normal((1, model.d))
    values, vectors = lanczos(lambda V: hvp(model, w[None], X, y, V), v0,
                              max(iters, k + 2), seed=seed + 1)
    values, vectors = values[0, ::-1][:k], vectors[0, ::-1][:k]
    pivot = vectors[np.arange(k), np.argmax(np.abs(vectors), axis=-1)]
    return values.copy(), vectors * np.where(pivot < 0, -1.0, 1.0)[:, None]


def lam_max(model: MLP, W: np.ndarray, X: np.ndarray, y: np.ndarray, iters: int = 20,
            seed: int = 0) -> np.ndarray | float:
    """Sharpness λmax(∇²E(w)) (largest algebraic eigenvalue) for one vector (float) or a batch (B,),
    all rows in one batched Lanczos run of min(iters, d) HVPs."""
    Wb, single = model.as_batch(W)
    v0 = np.random.default_rng(seed).standard_normal(Wb.shape)
    values, _ = lanczos(lambda V: hvp(model, Wb, X, y, V), v0, iters, seed=seed + 1)
    top = values[:, -1]
    return float(top[0]) if single else top
