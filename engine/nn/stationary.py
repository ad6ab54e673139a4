"""Newton's method on an exact 2D surface, used to locate the listed minima and saddles.

    w ← w − H(w)⁻¹ ∇E(w)

converges quadratically near a non-degenerate stationary point, so a few iterations
from a nearby guess locate it to ~1e-14; `damped=True` halves the step until E does
not increase (for minima of convex surfaces, where a far start could overshoot).
"""

from __future__ import annotations

import numpy as np


def newton_stationary(surface, start, damped: bool = False, tol: float = 1e-13,
                      max_iter: int = 100) -> np.ndarray:
    """The stationary point of `surface` (an engine Surface) reached by Newton from `start`, shape (2,).

    Raises RuntimeError if ‖∇E‖ does not fall below 1e-10 (a bug in the caller's guess).
    """
    w = np.asarray(start, dtype=float).reshape(2)
    for _ in range(max_iter):
        g = surface.grad(w)
        if np.linalg.norm(g) <= tol:
            break
        step = np.linalg.solve(surface.hessian(w), g)
        if damped:
            f0, t = surface.value(w), 1.0
            # allow round-off-sized increases: near the minimum f is flat to ~1e-16 and a strict
            # test would shrink exact Newton steps to nothing
            slack = 1e-12 * max(1.0, abs(float(f0)))
            while surface.value(w - t * step) > f0 + slack and t > 1e-8:
                t *= 0.5
            step = t * step
        w = w - step
    if not np.linalg.norm(surface.grad(w)) <= 1e-10:
        raise RuntimeError(f"Newton did not converge from {start} on {surface.name}")
    return w
