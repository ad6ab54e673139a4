"""engine.theory.measured_rate: its lean form gives the straightforward fit's number bit for bit."""

from __future__ import annotations

import numpy as np

from engine.theory import measured_rate


def reference_rate(path: np.ndarray, minimum: np.ndarray, floor: float = 1e-11) -> float | None:
    """The fit as first written: np.linalg.norm, a mask over the whole run, the closed-form slope."""
    dist = np.linalg.norm(np.asarray(path) - np.asarray(minimum), axis=-1)
    with np.errstate(divide="ignore"):
        log_dist = np.log(dist)
    t = np.arange(len(dist))
    usable = np.isfinite(log_dist) & (dist > floor * max(dist[0], 1.0))
    if not usable.any():
        return None
    end = int(np.flatnonzero(usable)[-1])
    keep = usable & (t >= end // 4) & (t <= end)
    if keep.sum() < 8:
        return None
    tk, yk = t[keep].astype(float), log_dist[keep]
    tc = tk - tk.mean()
    return float(np.exp(float(np.dot(tc, yk - yk.mean()) / np.dot(tc, tc))))


def test_measured_rate_equals_the_reference_fit_bit_for_bit():
    rng = np.random.default_rng(7)
    fitted = 0
    for trial in range(400):
        steps = int(rng.integers(1, 400))
        path = (rng.uniform(0.3, 1.2) ** np.arange(steps))[:, None] * rng.normal(size=(1, 2)) * rng.uniform(0.1, 10)
        if trial % 3 == 0:  # noisy
            path = path * (1 + 0.3 * rng.normal(size=path.shape))
        if trial % 5 == 0:  # diverged points (holes in the fitted stretch)
            path[rng.integers(0, steps, size=3)] = np.nan
        if trial % 7 == 0:  # exact hits of the minimum
            path[rng.integers(0, steps, size=3)] = 0.0
        if trial % 11 == 0:  # converged to round-off halfway
            path[steps // 2:] = 1e-300
        minimum = rng.normal(size=2) * (trial % 2)
        got, want = measured_rate(path, minimum), reference_rate(path, minimum)
        assert (got is None and want is None) or got == want or (np.isnan(got) and np.isnan(want)), (trial, got, want)
        fitted += got is not None
    assert fitted > 300
