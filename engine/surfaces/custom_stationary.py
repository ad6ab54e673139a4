"""Stationary points of a custom surface, found numerically (a formula has no list of its own).

    find_stationary(value, grad, hessian, domain) -> ((x, y, kind), ...)

Multi-start Newton on the exact (symbolic) derivatives: GRID × GRID starts over the domain plus its
centre, all iterated together as arrays (no per-point loop), each step p ← p − H⁻¹∇f solved in closed
form per point (2×2, Cramer) and clipped to a trust radius of STEP_FRACTION × the domain's size, so a
start near an inflection does not jump off to infinity. Newton is attracted by every kind of
stationary point, which is what is wanted: each converged point is classified by the eigenvalues of
its Hessian (minimum / saddle / maximum). Where the Hessian is singular (x⁴ + y⁴ at 0), a point
counts as a minimum when f there is no larger than at eight neighbours. Points are kept only inside
the domain, deduplicated at DEDUP_FRACTION × its size, and at most MAX_POINTS are returned (minima
first, lowest f first). Cost: (GRID² + 1) × ITERATIONS evaluations of ∇f and H, bounded whatever the
formula (≈ 145 × 60), so the search is cheap next to one grid of the contour plot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.surfaces.base import curvature_class

GRID = 12  # starts per axis
ITERATIONS = 60  # Newton steps per start (quadratic convergence needs ~6; singular minima converge linearly)
STEP_FRACTION = 0.25  # trust radius, as a fraction of the domain's larger side
GRAD_RTOL = 1e-7  # converged: |∇f| <= GRAD_RTOL × (typical |∇f| over the starts), at least 1e-10
DEDUP_FRACTION = 1e-4  # two points closer than this × the domain's size are one point
INSIDE_MARGIN = 1e-9  # relative slack on the domain's edges
MAX_POINTS = 24
KINDS = {"positive_definite": "minimum", "negative_definite": "maximum", "indefinite": "saddle"}
ORDER = {"minimum": 0, "saddle": 1, "maximum": 2}

Fn = Callable[[np.ndarray, np.ndarray], object]


def _starts(domain) -> tuple[np.ndarray, np.ndarray]:
    (xlo, xhi), (ylo, yhi) = domain
    # cell centres (not the edges: an edge start often leaves the domain at once) plus the centre
    u = (np.arange(GRID) + 0.5) / GRID
    gx, gy = np.meshgrid(xlo + u * (xhi - xlo), ylo + u * (yhi - ylo), indexing="xy")
    return (np.append(gx.ravel(), (xlo + xhi) / 2), np.append(gy.ravel(), (ylo + yhi) / 2))


def _newton(grad: Fn, hessian: Fn, x: np.ndarray, y: np.ndarray, radius: float):
    alive = np.ones(x.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(ITERATIONS):
            gx, gy = (np.asarray(v, dtype=float) * np.ones_like(x) for v in grad(x, y))
            a, b, d = (np.asarray(v, dtype=float) * np.ones_like(x) for v in hessian(x, y))
            det = a * d - b * b
            dx = np.where(det != 0, (d * gx - b * gy) / det, 0.0)
            dy = np.where(det != 0, (a * gy - b * gx) / det, 0.0)
            step = np.hypot(dx, dy)
            scale = np.where(step > radius, radius / np.where(step > 0, step, 1.0), 1.0)
            ok = alive & np.isfinite(dx) & np.isfinite(dy) & (det != 0)
            alive = ok
            x = np.where(ok, x - scale * dx, x)
            y = np.where(ok, y - scale * dy, y)
    return x, y, alive


def _is_local_min(value: Fn, x: float, y: float, h: float) -> bool:
    t = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    with np.errstate(all="ignore"):
        f0 = float(np.asarray(value(np.array(x), np.array(y)), dtype=float))
        ring = np.asarray(value(x + h * np.cos(t), y + h * np.sin(t)), dtype=float) * np.ones(8)
    return bool(np.isfinite(f0) and np.all(np.isfinite(ring)) and np.all(ring >= f0))


def find_stationary(value: Fn, grad: Fn, hessian: Fn, domain) -> tuple[tuple[float, float, str], ...]:
    """Stationary points inside `domain` ((xlo, xhi), (ylo, yhi)) as (x, y, kind), minima first."""
    (xlo, xhi), (ylo, yhi) = domain
    size = max(xhi - xlo, yhi - ylo)
    x0, y0 = _starts(domain)
    with np.errstate(all="ignore"):
        g0 = np.hypot(*(np.asarray(v, dtype=float) * np.ones_like(x0) for v in grad(x0, y0)))
    typical = float(np.nanmedian(np.where(np.isfinite(g0), g0, np.nan))) if np.any(np.isfinite(g0)) else 1.0
    tol = max(GRAD_RTOL * (typical if np.isfinite(typical) and typical > 0 else 1.0), 1e-10)
    x, y, alive = _newton(grad, hessian, x0, y0, STEP_FRACTION * size)
    with np.errstate(all="ignore"):
        gn = np.hypot(*(np.asarray(v, dtype=float) * np.ones_like(x) for v in grad(x, y)))
        a, b, d = (np.asarray(v, dtype=float) * np.ones_like(x) for v in hessian(x, y))
        f = np.asarray(value(x, y), dtype=float) * np.ones_like(x)
    mx, my = INSIDE_MARGIN * (xhi - xlo + abs(xlo) + abs(xhi)), INSIDE_MARGIN * (yhi - ylo + abs(ylo) + abs(yhi))
    keep = (np.isfinite(gn) & (gn <= tol) & np.isfinite(f) & (x >= xlo - mx) & (x <= xhi + mx)
            & (y >= ylo - my) & (y <= yhi + my))
    found: list[tuple[float, float, str, float]] = []
    for k in np.flatnonzero(keep):  # at most GRID² + 1 survivors: deduplicating them is cheap
        px, py = float(x[k]), float(y[k])
        if any(abs(px - q[0]) <= DEDUP_FRACTION * size and abs(py - q[1]) <= DEDUP_FRACTION * size for q in found):
            continue
        lam = np.linalg.eigvalsh(np.array([[a[k], b[k]], [b[k], d[k]]]))
        kind = KINDS.get(curvature_class(lam))
        if kind is None:  # singular Hessian: a flat minimum (x⁴ + y⁴) or nothing we can name
            kind = "minimum" if lam.min() >= 0 and _is_local_min(value, px, py, 1e-3 * size) else None
        if kind is not None:
            found.append((px, py, kind, float(f[k])))
    found.sort(key=lambda p: (ORDER[p[2]], p[3]))
    return tuple((px, py, kind) for px, py, kind, _ in found[:MAX_POINTS])
