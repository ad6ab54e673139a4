"""One divergence rule for every run: optimizer paths on surfaces (`run_many`, `run_batch`, the
analyses built on them) and network trainings (`engine.nn.train`).

An iterate x with loss f has DIVERGED when any of these holds:

1. f or a coordinate of x is not finite;
2. |x| > DIVERGENCE_NORM = 1e6                                (1 and 2: the API contract's rule);
3. f − f_low > LOSS_GROWTH · (f_high − f_low),  LOSS_GROWTH = 1e4: the loss has climbed ten
   thousand times higher above the floor than anything the run started from or the view shows.

`f_low` is the lowest value known: for a surface the lowest listed minimum or the lowest value on
a 17 × 17 grid over its domain (whichever is lower); for a network 0 (its losses are ≥ 0).
`f_high` is the higher of the start's loss and, for a surface, the highest value on that grid.
Taking the view into account makes the rule scale-free and keeps it quiet for starts near a
minimum (f₀ − f_low ≈ 0), where an honest first step (Adam's ≈ η·sign(g)) may raise the loss
by a large *factor* but stays on the plotted landscape. Where f_low or f_high is unknown or not
finite the third criterion is off (the ceiling is +inf).

Why 10⁴: gradient descent with spectral radius ρ > 1 multiplies f − f_low by about ρ² per
update, so an unstable run crosses the ceiling after ln(10⁴·span/f₀)/(2 ln ρ) updates: GD at
η = 0.041 on κ = 50 (ρ = 1.05) stops after ~107 updates (f ≈ 1.2·10⁷) instead of ending
"max_steps" at f = 10¹¹ with a path wedged across the plot; a regression MLP past 2/η stops
near 10⁴ × its initial loss instead of climbing to 10²⁸. Honest transients stay orders of
magnitude below it: momentum's first swings, Adam's overshoots on Rosenbrock, catapult spikes of
networks (tens to hundreds times the loss, then back), a minibatch loss against the full-data
one (at most N ≤ 5000 times). η = 0.0401 on κ = 50 (ρ = 1.005) is not flagged within 500
updates (f grows 351 → 5·10⁴) but is, correctly, by about update 1050.

A flagged iterate is not kept: the run ends with status "diverged" at the last kept iterate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DIVERGENCE_NORM = 1e6
LOSS_GROWTH = 1e4
VIEW_GRID = 17  # points per side of the grid that measures the view's lowest and highest value

# The rule in one sentence, for the API manual (OpenAPI descriptions of `status`) and the README.
RULE = ("A run diverges at the first iterate whose loss or coordinates are not finite, whose norm exceeds "
        f"{DIVERGENCE_NORM:.0e}, or whose loss f exceeds f_low + {LOSS_GROWTH:.0e}·(f_high − f_low): f_low is the "
        "lowest known value (a surface's lowest minimum or grid value over its domain; 0 for a network), f_high "
        "the higher of the start's loss and the highest value on a 17 × 17 grid over the surface's domain "
        "(a network: its loss at w₀). That iterate is not kept.").replace("e+0", "e")


def ceiling(f_low: float, f_high: Any) -> np.ndarray | float:
    """The loss above which an iterate has diverged (criterion 3); +inf where it is off."""
    f_high = np.asarray(f_high, dtype=float)
    with np.errstate(all="ignore"):
        limit = f_low + LOSS_GROWTH * (f_high - f_low)
    out = np.where(np.isfinite(limit) & np.isfinite(f_low) & (f_high >= f_low), limit, np.inf)
    return float(out) if out.ndim == 0 else out


def keepable(points: np.ndarray, loss: np.ndarray, limit: Any = np.inf) -> np.ndarray:
    """The rule, elementwise: True where the iterate (points (..., d), loss (...)) is kept.

    `limit` is the loss ceiling of `ceiling` (a float, or an array broadcastable against `loss`,
    one per run). `|x|² <= limit²` is False for NaN/inf coordinates, so it also checks their
    finiteness; squared norms by component (see `sq_norm`)."""
    with np.errstate(all="ignore"):
        return (np.isfinite(loss) & (loss <= limit)
                & (sq_norm(points) <= DIVERGENCE_NORM * DIVERGENCE_NORM))


def first_invalid(points: np.ndarray, loss: np.ndarray, limit: Any = np.inf) -> np.ndarray | int:
    """Index of the first diverged iterate along axis 0 (len if none): an int for one run
    (points (T, d)), else an array over the remaining axes (points (T, ..., d))."""
    ok = keepable(points, loss, limit)
    bad = ~ok
    first = np.where(bad.any(axis=0), np.argmax(bad, axis=0), len(points))
    return int(first) if np.ndim(first) == 0 else first


def surface_ceiling(surface: Any, start_loss: Any) -> np.ndarray | float:
    """The loss ceiling of runs on `surface` from starts with loss `start_loss` (float or array)."""
    f_low, f_high = view_range(surface)
    with np.errstate(all="ignore"):
        return ceiling(f_low, np.fmax(f_high, np.asarray(start_loss, dtype=float)))


def view_range(surface: Any) -> tuple[float, float]:
    """(f_low, f_high) of a surface: lowest listed minimum or grid value, highest grid value.
    Kept on the surface object (it does not change once built; the app reuses one object per
    surface reference, so a slider's runs skip the 17² grid)."""
    memo = getattr(surface, "__dict__", None)
    if memo is not None and _VIEW_RANGE in memo:
        return memo[_VIEW_RANGE]
    out = _view_range(surface)
    if memo is not None:
        memo[_VIEW_RANGE] = out
    return out


_VIEW_RANGE = "_divergence_view_range"


def _view_range(surface: Any) -> tuple[float, float]:
    (xlo, xhi), (ylo, yhi) = surface.domain
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, VIEW_GRID), np.linspace(ylo, yhi, VIEW_GRID))
    with np.errstate(all="ignore"):
        values = np.asarray(surface.value(np.stack([gx, gy], axis=-1)), dtype=float).ravel()
    try:
        minima = [float(m.f) for m in surface.minima]
    except Exception:  # a surface whose minima cannot be listed: the grid alone
        minima = []
    finite = values[np.isfinite(values)]
    lows = [v for v in minima if np.isfinite(v)] + ([float(finite.min())] if finite.size else [])
    f_low = min(lows) if lows else np.nan
    f_high = float(finite.max()) if finite.size else np.nan
    return f_low, f_high


def network_ceiling(start_loss: Any) -> np.ndarray | float:
    """The loss ceiling of a network training whose loss at w₀ is `start_loss` (losses are ≥ 0)."""
    return ceiling(0.0, start_loss)


def sq_norm(v: np.ndarray) -> np.ndarray:
    """|v|² over the last axis (NaN/inf propagate). For small d, summing strided component
    columns is several times faster than any reduction over a length-d axis."""
    d = v.shape[-1]
    if d > 8:
        return np.einsum("...i,...i->...", v, v)
    total = v[..., 0] * v[..., 0]
    for k in range(1, d):  # over coordinates, not points
        total = total + v[..., k] * v[..., k]
    return total
