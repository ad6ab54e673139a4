"""Numba kernels: surface gradients, optimizer steps and the one loop that runs them.

Every kernel repeats its numpy definition operation for operation, in the same order, so the
numbers are the same bit for bit: no fastmath (no FMA contraction, no reassociation), no
transcendental functions (libm and numpy's SIMD versions may round differently), and powers that
numpy takes with `**` are precomputed by the Python caller with the very same expression. Surface
gradients add +0.0 where `Surface.grad` adds its zeros (it turns −0.0 into +0.0).

Signatures are explicit, so each function compiles once (at import, or loaded from numba's
on-disk cache, `__pycache__` by default) and the loop takes the gradient and the step as
first-class functions: one compiled loop serves every (surface, optimizer) pair.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

F8 = types.float64
GRAD_SIG = types.UniTuple(F8, 2)(F8, F8, F8[::1])
STEP_SIG = types.void(F8[::1], F8[::1], F8[:, ::1], F8[::1], F8[::1], F8, types.int64)
LOOP_SIG = types.void(types.FunctionType(GRAD_SIG), types.FunctionType(STEP_SIG), F8[::1], F8[:, ::1],
                      F8[:, ::1], F8[:, :, ::1], F8[:, ::1], F8[:, ::1], F8[:, ::1], F8[:, ::1], types.int64,
                      types.int64, F8[:, :, :], F8[:, :, :])


def compiled(signature, **options):
    """numba.njit with the on-disk cache (in memory only where no cache directory is writable) and
    numpy's error model: x/0 is ±inf or NaN as in numpy, never a ZeroDivisionError."""
    options.setdefault("error_model", "numpy")

    def wrap(fn):
        try:
            return numba.njit(signature, cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(signature, cache=False, **options)(fn)
    return wrap


@compiled(LOOP_SIG, nogil=True)
def advance(grad, step, sp, x, g, S, H, K, L, xi, t0, n, P, G):  # pragma: no cover - compiled
    """n updates of every row of x (R, 2) from update t0: P[k], G[k] get iterate t0+1+k and its gradient."""
    rows = x.shape[0]
    noisy = np.empty(x.shape[1])
    for i in range(rows):
        xr, gr, sr = x[i], g[i], S[i]
        hr = H[i] if H.shape[0] > 1 else H[0]
        lr_row = L[i] if L.shape[0] > 1 else L[0]
        for k in range(n):
            t = t0 + k
            if xi.shape[0] > 0:
                noisy[0] = gr[0] + xi[t, 0]
                noisy[1] = gr[1] + xi[t, 1]
            else:
                noisy[0] = gr[0]
                noisy[1] = gr[1]
            step(xr, noisy, sr, hr, K[t], lr_row[t], t)
            gx, gy = grad(xr[0], xr[1], sp)
            gr[0] = gx
            gr[1] = gy
            P[k, i, 0] = xr[0]
            P[k, i, 1] = xr[1]
            G[k, i, 0] = gx
            G[k, i, 1] = gy


# ---- surface gradients (x, y, params) -> (fx, fy) ------------------------------------------

@compiled(GRAD_SIG)
def grad_quadratic(x, y, p):  # Quadratic.grad: hxx·x + hxy·y, hxy·x + hyy·y (no zeros added)
    return p[0] * x + p[1] * y, p[1] * x + p[2] * y


@compiled(GRAD_SIG)
def grad_saddle(x, y, p):
    return p[0] * x + 0.0, (-p[1]) * y + 0.0


@compiled(GRAD_SIG)
def grad_monkey_saddle(x, y, p):
    return 3.0 * (x * x - y * y) + 0.0, -6.0 * x * y + 0.0


@compiled(GRAD_SIG)
def grad_rosenbrock(x, y, p):
    a, b = p[0], p[1]
    r = y - x * x
    return -2.0 * (a - x) - 4.0 * b * x * r + 0.0, 2.0 * b * r + 0.0


@compiled(GRAD_SIG)
def grad_himmelblau(x, y, p):
    A = x * x + y - 11.0
    B = x + y * y - 7.0
    return 4.0 * x * A + 2.0 * B + 0.0, 2.0 * A + 4.0 * y * B + 0.0


@compiled(GRAD_SIG)
def grad_beale(x, y, p):
    y2 = y * y
    y3 = y2 * y
    r1, r2, r3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    fx = 2.0 * (r1 * (y - 1.0) + r2 * (y2 - 1.0) + r3 * (y3 - 1.0))
    fy = 2.0 * x * (r1 + 2.0 * y * r2 + 3.0 * y2 * r3)
    return fx + 0.0, fy + 0.0


@compiled(GRAD_SIG)
def grad_six_hump_camel(x, y, p):
    x2 = x * x
    return x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y + 0.0, x - 8.0 * y + 16.0 * y * y * y + 0.0


@compiled(GRAD_SIG)
def grad_least_squares(x, y, p):  # p = (w*₀, w*₁, H₀₀, H₀₁, H₁₁)
    dx, dy = x - p[0], y - p[1]
    return p[2] * dx + p[3] * dy + 0.0, p[3] * dx + p[4] * dy + 0.0


# ---- optimizer steps (x, g, state, hyper, per-step constants, lr, t) -> None, in place ---------

@compiled(STEP_SIG)
def step_gd(x, g, s, h, k, lr, t):  # h = (wd,)
    for j in range(x.shape[0]):
        x[j] = x[j] - lr * (g[j] + h[0] * x[j])


@compiled(STEP_SIG)
def step_momentum(x, g, s, h, k, lr, t):  # h = (μ, τ, wd); s[0] = buffer
    damp = h[1] if t > 0 else 0.0
    damp = damp * (1.0 if h[0] != 0 else 0.0)
    for j in range(x.shape[0]):
        gj = g[j] + h[2] * x[j]
        s[0, j] = h[0] * s[0, j] + (1.0 - damp) * gj
        x[j] = x[j] - lr * s[0, j]


@compiled(STEP_SIG)
def step_nesterov(x, g, s, h, k, lr, t):  # h = (μ, τ, wd); s[0] = buffer
    damp = h[1] if t > 0 else 0.0
    damp = damp * (1.0 if h[0] != 0 else 0.0)
    for j in range(x.shape[0]):
        gj = g[j] + h[2] * x[j]
        s[0, j] = h[0] * s[0, j] + (1.0 - damp) * gj
        x[j] = x[j] - lr * (gj + h[0] * s[0, j])


@compiled(STEP_SIG)
def step_adam(x, g, s, h, k, lr, t):
    """h = (β₁, β₂, ε, coupled wd, decoupled wd, amsgrad); k = (1 − β₁ᵗ, √(1 − β₂ᵗ)); s = m, v, v̂."""
    step_size = lr / k[0]
    for j in range(x.shape[0]):
        xj = x[j] * (1.0 - lr * h[4])
        gj = g[j] + h[3] * xj
        m = s[0, j] + (1.0 - h[0]) * (gj - s[0, j])
        v = h[1] * s[1, j] + (1.0 - h[1]) * gj * gj
        s[0, j] = m
        s[1, j] = v
        if h[5] != 0:
            vm = s[2, j]
            vm = vm if (vm >= v or vm != vm) else v  # np.maximum: NaN wins
            s[2, j] = vm
            v = vm
        denom = math.sqrt(v) / k[1] + h[2]
        x[j] = xj - step_size * (m / denom)


@compiled(STEP_SIG)
def step_rmsprop(x, g, s, h, k, lr, t):  # h = (α, ε, μ, wd, centered); s = r, m, buffer
    for j in range(x.shape[0]):
        gj = g[j] + h[3] * x[j]
        r = h[0] * s[0, j] + (1.0 - h[0]) * gj * gj
        s[0, j] = r
        if h[4] != 0:
            m = s[1, j] + (1.0 - h[0]) * (gj - s[1, j])
            s[1, j] = m
            avg = math.sqrt(r - m * m) + h[1]
        else:
            avg = math.sqrt(r) + h[1]
        s[2, j] = h[2] * s[2, j] + gj / avg
        x[j] = x[j] - lr * s[2, j]


@compiled(STEP_SIG)
def step_adagrad(x, g, s, h, k, lr, t):  # h = (lr_decay, ε, wd); s[0] = running sum
    clr = lr / (1.0 + float(t) * h[0])
    for j in range(x.shape[0]):
        gj = g[j] + h[2] * x[j]
        total = s[0, j] + gj * gj
        s[0, j] = total
        x[j] = x[j] - clr * (gj / (math.sqrt(total) + h[1]))


@compiled(STEP_SIG)
def step_adadelta(x, g, s, h, k, lr, t):  # h = (ρ, ε, wd); s = v, u
    for j in range(x.shape[0]):
        gj = g[j] + h[2] * x[j]
        v = h[0] * s[0, j] + (1.0 - h[0]) * gj * gj
        s[0, j] = v
        delta = math.sqrt(s[1, j] + h[1]) / math.sqrt(v + h[1]) * gj
        s[1, j] = h[0] * s[1, j] + (1.0 - h[0]) * delta * delta
        x[j] = x[j] - lr * delta
