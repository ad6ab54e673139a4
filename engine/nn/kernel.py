"""Dense layers of `engine.nn.mlp` as compiled loops with one fixed operation order.

The network's matrix products are written out here instead of going through BLAS, for two
reasons: a training's numbers must never depend on its batch (BLAS kernels may round a product
differently with the shapes or the stacking; these loops compute every row alone, in the same
order, whatever else is in the batch), and small networks are far faster as one loop over the
batch than as one BLAS call per row and per layer (2-8-8-1 on 200 points: ~5× faster steps).

The order, for row r of a (B, d) batch, layer (n_out × n_in) with input a (N, n_in):

    forward   z[n, j] = ((a[n,0]·W[j,0] + a[n,1]·W[j,1]) + … + a[n,in−1]·W[j,in−1]) + b[j]
    grads     ∂W[j, k] = ((0 + δ[0,j]·a[0,k]) + δ[1,j]·a[1,k]) + …   (examples in order)
              ∂b[j]    = ((0 + δ[0,j]) + δ[1,j]) + …
    backward  s[n, k]  = (δ[n,0]·W[0,k] + δ[n,1]·W[1,k]) + … ;  δ'[n, k] = s[n, k] · φ'(z[n, k])
              with φ' as `losses.activation_derivs` computes it: tanh 1 − a·a, sigmoid (1 − a)·a,
              relu [z > 0].

Plain IEEE multiplies and adds, no fastmath (so no FMA contraction or reassociation); SIMD lanes
run over independent outputs only, so vectorized and scalar code give the same bits. The
activation φ itself (a transcendental function) stays numpy's, applied by the caller between
layers. `forward` and `backward` without numba run the same order in numpy (slow; tests compare).
"""

from __future__ import annotations

import math

import numpy as np

from engine.compiled import allowed  # the app's switch (Settings.kernels); same numbers either way

ACT_CODES = {"tanh": 0, "sigmoid": 1, "relu": 2}

try:
    import numba
    from llvmlite import ir
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - numba is a dependency; the numpy order below is the fallback
    numba = None

if numba is not None:
    @intrinsic
    def _pow2(typingctx, k):
        """2ᵏ for an int64 k in the normal range, built from its exponent bits (vectorizes, unlike ldexp)."""
        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            bits = builder.shl(builder.add(args[0], ir.Constant(i64, 1023)), ir.Constant(i64, 52))
            return builder.bitcast(bits, ir.DoubleType())
        return numba.types.float64(numba.types.int64), codegen


def _jit(fn):
    if numba is None:
        return None
    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
    except RuntimeError:  # no writable cache directory: compile in memory
        return numba.njit(cache=False, nogil=True, error_model="numpy")(fn)


# ---- tanh -------------------------------------------------------------------------------
# tanh(x) = sign(x) · T(|x|), T(a) = −m / (2 + m) with m = expm1(−2a) (no cancellation at small a);
# expm1 by Cody–Waite reduction −2a = k ln2 + r, |r| ≤ ln2/2, and its degree-15 Taylor polynomial
# (terms past r¹⁵/15! are below 2⁻⁶⁰ of r), so m = 2ᵏ p(r) + (2ᵏ − 1) with 2ᵏ exact. T(a) = a below
# 2⁻²⁸ (tanh rounds to a there) and 1 from 19.0625 (tanh rounds to 1). Measured within 2 ulp of
# the correctly rounded tanh; only +, ×, ÷, floor and exponent arithmetic, so SIMD lanes and the
# numpy twin give the same bits as the scalar loop (numpy's and libm's tanh differ between them).
INV_LN2 = 1.4426950408889634
LN2_HI = 0.6931471803691238  # 0x3fe62e42fee00000: k·LN2_HI is exact for |k| < 2²⁰
LN2_LO = 1.9082149292705877e-10
EXPM1_TAYLOR = (0.5, 0.16666666666666666, 0.041666666666666664, 0.008333333333333333, 0.001388888888888889,
                0.0001984126984126984, 2.48015873015873e-05, 2.7557319223985893e-06, 2.755731922398589e-07,
                2.505210838544172e-08, 2.08767569878681e-09, 1.6059043836821613e-10, 1.1470745597729725e-11,
                7.647163731819816e-13)  # 1/n! for n = 2 … 15
TINY, SATURATE = 2.0 ** -28, 19.0625
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15 = EXPM1_TAYLOR


def _tanh1(x):  # pragma: no cover - compiled (numpy twin: `_tanh_numpy`)
    a = abs(x)
    inside = a < SATURATE  # False for ±inf and NaN
    y = -2.0 * (a if inside else 0.0)
    k = math.floor(y * INV_LN2 + 0.5)
    r = (y - k * LN2_HI) - k * LN2_LO
    q = C15 * r + C14
    q = q * r + C13
    q = q * r + C12
    q = q * r + C11
    q = q * r + C10
    q = q * r + C9
    q = q * r + C8
    q = q * r + C7
    q = q * r + C6
    q = q * r + C5
    q = q * r + C4
    q = q * r + C3
    q = q * r + C2
    p = r + (r * r) * q
    s = _pow2(int(k))
    m = s * p + (s - 1.0)
    t = -m / (2.0 + m)
    t = a if a < TINY else t
    t = t if inside else 1.0
    t = math.copysign(t, x)
    return x if x != x else t


def _tanh_loop(z, out):  # pragma: no cover - compiled
    for i in range(z.shape[0]):
        out[i] = _tanh1(z[i])


def _tanh_numpy(z: np.ndarray) -> np.ndarray:
    """`_tanh1` elementwise in numpy: the same operations in the same order."""
    with np.errstate(all="ignore"):
        a = np.abs(z)
        inside = a < SATURATE
        y = -2.0 * np.where(inside, a, 0.0)
        k = np.floor(y * INV_LN2 + 0.5)
        r = (y - k * LN2_HI) - k * LN2_LO
        q = C15 * r + C14
        for c in EXPM1_TAYLOR[-3::-1]:
            q = q * r + c
        p = r + (r * r) * q
        s = np.ldexp(1.0, k.astype(np.int64))
        m = s * p + (s - 1.0)
        t = -m / (2.0 + m)
        t = np.where(a < TINY, a, t)
        t = np.where(inside, t, 1.0)
        t = np.copysign(t, z)
        return np.where(np.isnan(z), z, t)


LANES = 8  # partial sums of a reduction over the examples (see `_dot`)


def _dot(u, v):  # pragma: no cover - compiled (numpy twin: `_dot_numpy`)
    """Σ_n u[n]·v[n] in LANES = 8 interleaved partial sums s_m = Σ_{n ≡ m mod 8} (in order of n),
    combined pairwise ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)): SIMD lanes hold independent sums."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    N = u.shape[0]
    full = N - N % 8
    for n in range(0, full, 8):
        s0 += u[n] * v[n]
        s1 += u[n + 1] * v[n + 1]
        s2 += u[n + 2] * v[n + 2]
        s3 += u[n + 3] * v[n + 3]
        s4 += u[n + 4] * v[n + 4]
        s5 += u[n + 5] * v[n + 5]
        s6 += u[n + 6] * v[n + 6]
        s7 += u[n + 7] * v[n + 7]
    rest = N - full  # the tail feeds s0, s1, … in order
    if rest > 0:
        s0 += u[full] * v[full]
    if rest > 1:
        s1 += u[full + 1] * v[full + 1]
    if rest > 2:
        s2 += u[full + 2] * v[full + 2]
    if rest > 3:
        s3 += u[full + 3] * v[full + 3]
    if rest > 4:
        s4 += u[full + 4] * v[full + 4]
    if rest > 5:
        s5 += u[full + 5] * v[full + 5]
    if rest > 6:
        s6 += u[full + 6] * v[full + 6]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


def _forward_loop(A, W, w0, b0, n_out, n_in, Z):  # pragma: no cover - compiled
    B = Z.shape[0]
    shared = A.shape[0] == 1
    for r in range(B):
        a = A[0] if shared else A[r]
        for j in range(n_out):
            z = Z[r, j]
            w = W[r, w0 + j * n_in]
            a0 = a[0]
            for n in range(z.shape[0]):
                z[n] = a0[n] * w
            for k in range(1, n_in):
                w = W[r, w0 + j * n_in + k]
                ak = a[k]
                for n in range(z.shape[0]):
                    z[n] += ak[n] * w
            bias = W[r, b0 + j]
            for n in range(z.shape[0]):
                z[n] += bias


def _backward_loop(D, A, Zp, W, w0, b0, n_out, n_in, act, G, Dp, ones):  # pragma: no cover - compiled
    B = D.shape[0]
    shared = A.shape[0] == 1
    back = Dp.shape[0] > 0
    for r in range(B):
        a = A[0] if shared else A[r]
        for j in range(n_out):
            d = D[r, j]
            G[r, b0 + j] = dot(d, ones)
            for k in range(n_in):
                G[r, w0 + j * n_in + k] = dot(d, a[k])
        if back:
            for k in range(n_in):
                s = Dp[r, k]
                w = W[r, w0 + k]
                d0 = D[r, 0]
                for n in range(s.shape[0]):
                    s[n] = d0[n] * w
                for j in range(1, n_out):
                    w = W[r, w0 + j * n_in + k]
                    dj = D[r, j]
                    for n in range(s.shape[0]):
                        s[n] += dj[n] * w
                ak = a[k]
                if act == 0:
                    for n in range(s.shape[0]):
                        s[n] *= 1.0 - ak[n] * ak[n]
                elif act == 1:
                    for n in range(s.shape[0]):
                        s[n] *= (1.0 - ak[n]) * ak[n]
                else:
                    zk = Zp[r, k]
                    for n in range(s.shape[0]):
                        s[n] *= 1.0 if zk[n] > 0.0 else 0.0


_tanh1 = numba.njit(inline="always", error_model="numpy")(_tanh1) if numba is not None else _tanh1
_tanh_jit = _jit(_tanh_loop)
dot = _jit(_dot)
_forward_jit = _jit(_forward_loop)
_backward_jit = _jit(_backward_loop)
NO_ARRAY = np.zeros((0, 0, 0))


def feature_major(A: np.ndarray) -> np.ndarray:
    """A layer input as the kernels read it: (1 or B, n_in, N) contiguous, from X (N, n_in) or a
    (B, N, n_in) view returned by `forward` (then no copy)."""
    A = np.asarray(A, dtype=float)
    return np.ascontiguousarray(A.T[None] if A.ndim == 2 else np.swapaxes(A, -1, -2))


def forward(A: np.ndarray, W: np.ndarray, w0: int, b0: int, n_out: int, n_in: int,
            with_tanh: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """z = a Wᵀ + b of one layer for every row of W (B, d), as a (B, N, n_out) view of a
    feature-major (B, n_out, N) array; A is X (N, n_in) shared or a (B, N, n_in) `forward` view.
    With `with_tanh`, (z, tanh(z)) (`tanh`; a separate pass: fused into this loop it does not vectorize)."""
    AT = feature_major(A)
    W = np.ascontiguousarray(W, dtype=float)
    Z = np.empty((W.shape[0], n_out, AT.shape[2]))
    if _forward_jit is not None and allowed():
        _forward_jit(AT, W, w0, b0, n_out, n_in, Z)
    else:  # the same order in numpy: k ascending, bias last
        Wl = W[:, w0:b0].reshape(-1, n_out, n_in)
        Z[:] = AT[:, None, 0, :] * Wl[:, :, 0, None]
        for k in range(1, n_in):
            Z += AT[:, None, k, :] * Wl[:, :, k, None]
        Z += W[:, b0:b0 + n_out, None]
    if with_tanh:
        return np.swapaxes(Z, 1, 2), np.swapaxes(tanh(Z), 1, 2)
    return np.swapaxes(Z, 1, 2)


def _dot_numpy(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`_dot` over the last axis of broadcast arrays, the same partial sums in the same order."""
    u, v = np.broadcast_arrays(u, v)
    acc = np.zeros((*u.shape[:-1], LANES))
    N = u.shape[-1]
    full = N - N % LANES
    for n in range(0, full, LANES):
        acc += u[..., n:n + LANES] * v[..., n:n + LANES]
    acc[..., :N - full] += u[..., full:] * v[..., full:]
    return ((acc[..., 0] + acc[..., 1]) + (acc[..., 2] + acc[..., 3])) + \
        ((acc[..., 4] + acc[..., 5]) + (acc[..., 6] + acc[..., 7]))


def backward(D: np.ndarray, A: np.ndarray, Zp: np.ndarray | None, W: np.ndarray, w0: int, b0: int, n_out: int,
             n_in: int, activation: str, G: np.ndarray, propagate: bool) -> np.ndarray | None:
    """Write ∂E/∂W_l, ∂E/∂b_l of every row into G (B, d) from δ_l = D (B, N, n_out) and the layer
    input A; return δ_{l−1} (B, N, n_in) when `propagate` (A is then φ(Zp), the previous layer's).
    D, A and Zp are X or `forward`-style views; the result is one too."""
    AT, DT = feature_major(A), feature_major(D)
    W = np.ascontiguousarray(W, dtype=float)
    B, N = DT.shape[0], DT.shape[2]
    Dp = np.empty((B, n_in, N)) if propagate else NO_ARRAY
    ZT = feature_major(Zp) if (propagate and activation == "relu") else NO_ARRAY
    if _backward_jit is not None and allowed() and G.flags.c_contiguous:
        _backward_jit(DT, AT, ZT, W, w0, b0, n_out, n_in, ACT_CODES[activation], G, Dp, np.ones(N))
        return np.swapaxes(Dp, 1, 2) if propagate else None
    G[:, b0:b0 + n_out] = _dot_numpy(DT, np.ones(N))
    G[:, w0:b0] = _dot_numpy(DT[:, :, None, :], AT[:, None, :, :]).reshape(B, -1)
    if not propagate:
        return None
    Wl = W[:, w0:b0].reshape(-1, n_out, n_in)
    Dp[:] = DT[:, None, 0, :] * Wl[:, 0, :, None]
    for j in range(1, n_out):
        Dp += DT[:, None, j, :] * Wl[:, j, :, None]
    if activation == "tanh":
        Dp *= 1.0 - AT * AT
    elif activation == "sigmoid":
        Dp *= (1.0 - AT) * AT
    else:
        Dp *= np.where(ZT > 0.0, 1.0, 0.0)
    return np.swapaxes(Dp, 1, 2)


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh of every element (see `_tanh1`), a new array of z's shape and memory order."""
    z = np.asarray(z, dtype=float)
    if _tanh_jit is None or not allowed():
        return _tanh_numpy(z)
    out = np.empty_like(z)  # keeps a transposed view's memory order
    flat_out = out.ravel(order="K")
    if z.size and not np.shares_memory(flat_out, out):  # not dense in any order: numpy twin
        return _tanh_numpy(z)
    _tanh_jit(np.ascontiguousarray(z.ravel(order="K")), flat_out)
    return out


def warm() -> bool:
    """Load the compiled layers now (numba's on-disk cache, or a compile the first time) instead of in
    the first training that needs them; whether they are on."""
    if _forward_jit is None or not allowed():
        return False
    X = np.zeros((3, 2))
    W = np.zeros((1, 9))
    forward(X, W, 0, 6, 3, 2, with_tanh=True)
    backward(np.ones((1, 3, 3)), X, None, W, 0, 6, 3, 2, "tanh", np.zeros((1, 9)), True)
    return True
