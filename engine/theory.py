"""Closed-form theory of first-order methods on a quadratic (constant Hessian H).

On f = ½ (x − x*)ᵀ H (x − x*) every linear method decouples along H's eigenvectors, so
its behaviour is set by the eigenvalues λ_i (Bishop 7.24–7.34, THEORY.md):

- GD:          α ← (1 − ηλ) α                      rate max_i |1 − ηλ_i|, stable iff 0 < η < 2/λmax
- heavy ball:  z² − (1 + μ − η'λ) z + μ = 0        η' = η(1 − τ) with torch's dampening τ
- Nesterov:    z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) = 0   (torch's nesterov=True)
The rate is the spectral radius: the largest root modulus over all λ_i. Weight decay wd
adds wd to every λ (torch adds wd·x to the gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

LINEAR_METHODS = ("gd", "momentum", "nesterov")
# ρ within this of 1 is not called stable: on a singular H the flat direction has ρ = 1 exactly,
# which round-off can report as 1 − 6e-16 for momentum
STABLE_MARGIN = 1e-12


def quadratic_summary(eigenvalues: np.ndarray) -> dict[str, Any]:
    """λmin, λmax, κ, the GD stability limit 2/λmax, optimal η and μ and their rates.

    Fields that need a positive definite H are None otherwise.
    """
    lam_min, lam_max = float(np.min(eigenvalues)), float(np.max(eigenvalues))
    out: dict[str, Any] = {"lambda_min": lam_min, "lambda_max": lam_max}
    pd = lam_min > 0
    kappa = lam_max / lam_min if pd else None
    out["kappa"] = kappa
    out["eta_max_stable_gd"] = 2.0 / lam_max if lam_max > 0 else None
    out["eta_opt_gd"] = 2.0 / (lam_min + lam_max) if pd else None
    out["rate_opt_gd"] = (kappa - 1.0) / (kappa + 1.0) if pd else None
    if pd:
        root = (np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0)
        out["momentum_opt"] = float(root**2)
        out["eta_opt_momentum"] = float(4.0 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2)
        out["rate_opt_momentum"] = float(root)
    else:
        out.update(momentum_opt=None, eta_opt_momentum=None, rate_opt_momentum=None)
    return out


def eta_max_stable(name: str, eigenvalues: np.ndarray, momentum: float = 0.0) -> float | None:
    """Largest stable constant η for a linear method (None when no η is stable or unknown)."""
    lam_max = float(np.max(eigenvalues))
    if lam_max <= 0 or np.min(eigenvalues) < 0 or name not in LINEAR_METHODS:
        return None
    if name == "gd":
        return 2.0 / lam_max
    if name == "momentum":
        return 2.0 * (1.0 + momentum) / lam_max
    return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * lam_max)


def _largest_root_modulus(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """max |z| over the roots of z² − b z + c = 0, elementwise."""
    disc = (b * b - 4.0 * c).astype(complex)
    root = np.sqrt(disc)
    return np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0))


def spectral_radius(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> float | None:
    """Spectral radius of a method's linear iteration on a quadratic with these eigenvalues.

    Hyperparameters may be arrays (broadcast against each other): the result is then an array
    (phase diagrams). Returns None for methods with no linear iteration (adaptive, Newton).
    """
    if name not in LINEAR_METHODS:
        return None
    lam = np.asarray(eigenvalues, dtype=float)
    eta = np.asarray(hparams["lr"], dtype=float)[..., None]
    lam = lam + np.asarray(hparams.get("weight_decay", 0.0), dtype=float)[..., None]
    if name == "gd":
        rho = np.max(np.abs(1.0 - eta * lam), axis=-1)
    else:
        mu = np.asarray(hparams["momentum"], dtype=float)[..., None]
        if name == "momentum":
            eta_eff = eta * (1.0 - np.asarray(hparams.get("dampening", 0.0), dtype=float)[..., None])
            rho = np.max(_largest_root_modulus(1.0 + mu - eta_eff * lam, mu + 0 * lam), axis=-1)
        else:
            shrink = 1.0 - eta * lam
            rho = np.max(_largest_root_modulus((1.0 + mu) * shrink, mu * shrink), axis=-1)
    return float(rho) if np.ndim(rho) == 0 else rho


def measured_rate(path: np.ndarray, minimum: np.ndarray, floor: float = 1e-11) -> float | None:
    """Per-step contraction of the distance to `minimum`, fitted as the slope of log‖x_t − x*‖.

    Iterates within `floor` of the minimum (float round-off) and the first quarter of the rest
    (the transient, before the slowest mode dominates) are left out; oscillating
    (complex-root) methods average out in the least-squares fit. None if too few points remain.
    """
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
    slope = np.polyfit(t[keep], log_dist[keep], 1)[0]
    return float(np.exp(slope))


def theory_block(surface, optimizers, schedule_name: str, paths: list[np.ndarray] | None = None) -> dict[str, Any]:
    """The API's `theory` object: {} for non-quadratic surfaces, else the summary plus per-run
    `predicted_rate` (spectral radius, constant schedule only), `stable` and `measured_rate`."""
    if not getattr(surface, "constant_hessian", False):
        return {}
    hess = surface.hessian(np.zeros(2))
    eigenvalues = np.linalg.eigvalsh(hess)
    out = quadratic_summary(eigenvalues)
    minimum = surface.minima_array()[0] if surface.minima_array().size else None
    runs = []
    for i, opt in enumerate(optimizers):
        rho = spectral_radius(opt.name, opt.hparams, eigenvalues) if schedule_name == "constant" else None
        stable = None if rho is None else bool(rho < 1.0 - STABLE_MARGIN)
        entry: dict[str, Any] = {"predicted_rate": rho, "stable": stable}
        entry["eta_max_stable"] = eta_max_stable(opt.name, eigenvalues + opt.hparams.get("weight_decay", 0.0),
                                                 opt.hparams.get("momentum", 0.0))
        if paths is not None and minimum is not None and len(paths[i]):
            entry["measured_rate"] = measured_rate(paths[i], minimum)
        runs.append(entry)
    out["runs"] = runs
    return out
