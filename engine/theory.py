"""Closed-form theory of first-order methods on a quadratic (constant Hessian H): the one source.

The run's `theory` block, the phase diagram's boundary and optimum (engine/analysis/phase.py) and
the page (which reads the numbers from the API) all use the functions here. Derivations:
docs/theory.md. On f = ½ (x − x*)ᵀ H (x − x*) every linear method decouples along H's
eigenvectors, so its behaviour is set by the eigenvalues λ_i, each replaced by λ_i + wd under
torch's coupled weight decay:

- GD:          α ← (1 − ηλ) α                             stable iff 0 < ηλ < 2
- heavy ball:  z² − (1 + μ − η(1 − τ)λ) z + μ = 0          stable iff 0 < η(1 − τ)λ < 2(1 + μ)
               (torch's dampening τ; with μ = 0 torch keeps no buffer: plain GD, τ has no effect)
- Nesterov:    z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) = 0      stable iff 0 < ηλ < 2(1 + μ)/(1 + 2μ)
The rate is the spectral radius: the largest root modulus over all λ_i. A λ ≤ 0 (indefinite or
singular H) has ρ ≥ 1 for every η > 0: then no η is stable, and `eta_max_stable` is None with
a reason. All functions accept hyperparameters as arrays (phase diagrams broadcast them).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from engine.surfaces.base import SINGULAR_RTOL, curvature_class

LINEAR_METHODS = ("gd", "momentum", "nesterov")
# ρ within this of 1 is not called stable: on a singular H the flat direction has ρ = 1 exactly,
# which round-off can report as 1 − 6e-16 for momentum
STABLE_MARGIN = 1e-12

# the stability condition as the page prints it, per method (Unicode, no markup)
STABILITY_TEXT = {
    "gd": "η < 2/(λmax + wd)",
    "momentum": "η < 2(1 + μ)/((1 − τ)(λmax + wd))  (μ = 0: η < 2/(λmax + wd))",
    "nesterov": "η < 2(1 + μ)/((1 + 2μ)(λmax + wd))",
}
RATE_TEXT = {
    "gd": "ρ(η) = max over i of |1 − ηλᵢ|",
    "momentum": "per eigen-direction z² − (1 + μ − η(1 − τ)λ)z + μ = 0, ρ = max |z|",
    "nesterov": "per eigen-direction z² − (1 + μ)(1 − ηλ)z + μ(1 − ηλ) = 0, ρ = max |z|",
}


def _hp(hparams: dict[str, Any], key: str, default: float = 0.0) -> np.ndarray:
    return np.asarray(hparams.get(key, default), dtype=float)


def _damping_factor(name: str, hparams: dict[str, Any]) -> np.ndarray:
    """1 − τ where dampening acts: heavy ball with μ ≠ 0 (torch skips the buffer at μ = 0)."""
    if name != "momentum":
        return np.asarray(1.0)
    return np.where(_hp(hparams, "momentum") != 0, 1.0 - _hp(hparams, "dampening"), 1.0)


def stability_limit(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> np.ndarray:
    """Largest stable η (the band is 0 < η < it), NaN where no η is stable; broadcasts over
    array hyperparameters (`lr` is not used). Eigenvalues are H's; weight decay is added here."""
    lam = np.asarray(eigenvalues, dtype=float)
    wd = _hp(hparams, "weight_decay")
    lam_min, lam_max = lam.min() + wd, lam.max() + wd
    mu = _hp(hparams, "momentum") if name != "gd" else np.asarray(0.0)
    with np.errstate(all="ignore"):
        if name == "nesterov":
            factor = 2.0 * (1.0 + mu) / (1.0 + 2.0 * mu)
        else:
            factor = 2.0 * (1.0 + mu) / _damping_factor(name, hparams)
        eta = factor / lam_max
    definite = lam_min > SINGULAR_RTOL * np.abs(lam_max)
    ok = definite & (mu >= 0) & (mu < 1) & np.isfinite(eta) & (eta > 0)
    return np.where(ok, eta, np.nan)


def stability_reason(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> str | None:
    """Why no η is stable (None when some η is): the text that goes beside a null eta_max_stable."""
    if name not in LINEAR_METHODS:
        return "no linear iteration: the rate depends on the path (adaptive or second-order method)"
    lam = np.asarray(eigenvalues, dtype=float) + float(hparams.get("weight_decay", 0.0))
    kind = curvature_class(np.sort(lam))
    if kind in ("indefinite", "negative_definite"):
        return ("indefinite Hessian: λmin + wd < 0, so the iteration expands along that eigenvector "
                "(|1 − ηλ| > 1) for every η > 0; no η is stable")
    if kind == "singular":
        return "singular Hessian: along the flat eigenvector ρ = 1 for every η, so no η converges"
    if name == "momentum" and hparams.get("momentum", 0.0) != 0 and hparams.get("dampening", 0.0) >= 1:
        return "dampening τ = 1 discards every gradient after the first: ρ = 1 for every η"
    return None


def eta_max_stable(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> float | None:
    """Largest stable constant η for a linear method and these hyperparameters, else None."""
    if name not in LINEAR_METHODS:
        return None
    eta = float(stability_limit(name, hparams, eigenvalues))
    return eta if np.isfinite(eta) else None


def _largest_root_modulus(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """max |z| over the roots of z² − b z + c = 0, elementwise."""
    disc = (b * b - 4.0 * c).astype(complex)
    root = np.sqrt(disc)
    return np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0))


def spectral_radius(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> float | np.ndarray | None:
    """Spectral radius of a method's linear iteration on a quadratic with these eigenvalues.

    Hyperparameters may be arrays (broadcast against each other): the result is then an array
    (phase diagrams). Returns None for methods with no linear iteration (adaptive, Newton).
    """
    if name not in LINEAR_METHODS:
        return None
    lam = np.asarray(eigenvalues, dtype=float)
    eta = _hp(hparams, "lr")[..., None]
    lam = lam + _hp(hparams, "weight_decay")[..., None]
    if name == "gd":
        rho = np.max(np.abs(1.0 - eta * lam), axis=-1)
    else:
        mu = _hp(hparams, "momentum")[..., None]
        if name == "momentum":
            eta_eff = eta * _damping_factor(name, hparams)[..., None]
            rho = np.max(_largest_root_modulus(1.0 + mu - eta_eff * lam, mu + 0 * lam), axis=-1)
        else:
            shrink = 1.0 - eta * lam
            rho = np.max(_largest_root_modulus((1.0 + mu) * shrink, mu * shrink), axis=-1)
    return float(rho) if np.ndim(rho) == 0 else rho


def is_stable(rho):
    """ρ < 1 with the margin above (arrays elementwise)."""
    return rho < 1.0 - STABLE_MARGIN


def optimum(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray) -> dict[str, Any] | None:
    """The best constant hyperparameters and their rate, for the fixed ones in `hparams`
    (weight decay, dampening); None where H + wd is not positive definite.

    GD: η* = 2/(λmin + λmax), ρ* = (κ − 1)/(κ + 1). Heavy ball (Polyak): μ* = ((√κ−1)/(√κ+1))²,
    η* = 4/((√λmax + √λmin)²(1 − τ)), ρ* = √μ* (κ = 1: μ* = 0, plain GD). Nesterov (Lessard,
    Recht & Packard 2016): η* = 4/(3λmax + λmin), μ* = (√(3κ+1) − 2)/(√(3κ+1) + 2),
    ρ* = 1 − 2/√(3κ+1). Each λ here includes wd.
    """
    if name not in LINEAR_METHODS:
        return None
    lam = np.asarray(eigenvalues, dtype=float) + float(hparams.get("weight_decay", 0.0))
    lam_min, lam_max = float(lam.min()), float(lam.max())
    if curvature_class(np.sort(lam)) != "positive_definite":
        return None
    kappa = lam_max / lam_min
    if name == "gd":
        return {"lr": 2.0 / (lam_min + lam_max), "rate": (kappa - 1.0) / (kappa + 1.0),
                "formula": "η* = 2/(λmin + λmax), ρ* = (κ − 1)/(κ + 1)"}
    if name == "momentum":
        tau = float(hparams.get("dampening", 0.0))
        root = (np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0)
        mu = float(root**2)
        if mu == 0.0:  # κ = 1: no momentum, so dampening plays no part
            lr = 2.0 / (lam_min + lam_max)
        elif tau >= 1.0:
            return None
        else:
            lr = 4.0 / ((np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2 * (1.0 - tau))
        return {"lr": float(lr), "momentum": mu, "rate": float(root),
                "formula": "η* = 4/((√λmax + √λmin)²(1 − τ)), μ* = ((√κ − 1)/(√κ + 1))², ρ* = √μ* (Polyak)"}
    q = np.sqrt(3.0 * kappa + 1.0)
    return {"lr": float(4.0 / (3.0 * lam_max + lam_min)), "momentum": float((q - 2.0) / (q + 2.0)),
            "rate": float(1.0 - 2.0 / q),
            "formula": "η* = 4/(3λmax + λmin), μ* = (√(3κ + 1) − 2)/(√(3κ + 1) + 2), ρ* = 1 − 2/√(3κ + 1) "
                       "(Lessard et al. 2016)"}


def quadratic_summary(eigenvalues: np.ndarray) -> dict[str, Any]:
    """λmin, λmax, κ, the curvature class, the GD stability limit 2/λmax, optimal η and μ and their
    rates. Fields that need a positive definite H are None otherwise (with `stability_note`)."""
    lam = np.sort(np.asarray(eigenvalues, dtype=float))
    lam_min, lam_max = float(lam[0]), float(lam[-1])
    curvature = curvature_class(lam)
    pd = curvature == "positive_definite"
    gd, heavy = optimum("gd", {}, lam), optimum("momentum", {}, lam)
    return {
        "lambda_min": lam_min, "lambda_max": lam_max, "curvature": curvature,
        "kappa": lam_max / lam_min if pd else None,
        "eta_max_stable_gd": eta_max_stable("gd", {}, lam),
        "stability_note": stability_reason("gd", {}, lam),
        "eta_opt_gd": gd and gd["lr"], "rate_opt_gd": gd and gd["rate"],
        "momentum_opt": heavy and heavy["momentum"], "eta_opt_momentum": heavy and heavy["lr"],
        "rate_opt_momentum": heavy and heavy["rate"],
    }


def measured_rate(path: np.ndarray, minimum: np.ndarray, floor: float = 1e-11) -> float | None:
    """Per-step contraction of the distance to `minimum`, fitted as the slope of log‖x_t − x*‖.

    Iterates within `floor` of the minimum (float round-off) and the first quarter of the rest
    (the transient, before the slowest mode dominates) are left out; oscillating
    (complex-root) methods average out in the least-squares fit. None if too few points remain.
    """
    diff = np.asarray(path, dtype=float) - np.asarray(minimum, dtype=float)
    # ‖·‖ as np.linalg.norm(axis=-1) computes it (the sum of the squared components, in order), without
    # its dispatch: this runs on the path of every /api/run answer (one of ~30 numpy calls here was ~3 µs)
    square = diff * diff
    dist = np.sqrt(square.sum(axis=-1)) if diff.shape[-1] != 2 else np.sqrt(square[:, 0] + square[:, 1])
    with np.errstate(divide="ignore"):
        log_dist = np.log(dist)
    usable = np.isfinite(log_dist) & (dist > floor * max(dist[0], 1.0))
    last = np.flatnonzero(usable)
    if not last.size:
        return None
    end = int(last[-1])
    first = end // 4
    if usable[first:end + 1].all():  # the usual case: one contiguous stretch, no mask to apply
        tk, yk = np.arange(first, end + 1, dtype=float), log_dist[first:end + 1]
    else:
        t = np.arange(len(dist))
        keep = usable & (t >= first) & (t <= end)
        tk, yk = t[keep].astype(float), log_dist[keep]
    if len(tk) < 8:
        return None
    # the least-squares slope in closed form (np.polyfit goes through an SVD: ~0.3 ms a run)
    tc = tk - tk.mean()
    slope = float(np.dot(tc, yk - yk.mean()) / np.dot(tc, tc))
    return float(np.exp(slope))


def run_theory(name: str, hparams: dict[str, Any], eigenvalues: np.ndarray, constant_lr: bool) -> dict[str, Any]:
    """One optimizer's entry of the theory block: predicted rate (constant schedule only), stable,
    the stable band's edge (or why there is none), the optimum for its fixed hyperparameters and
    the formulas the page prints."""
    rho = spectral_radius(name, hparams, eigenvalues) if constant_lr else None
    eta_max = eta_max_stable(name, hparams, eigenvalues)
    entry: dict[str, Any] = {
        "predicted_rate": rho, "stable": None if rho is None else bool(is_stable(rho)),
        "eta_max_stable": eta_max,
        "stability_note": None if eta_max is not None else stability_reason(name, hparams, eigenvalues),
        "optimal": optimum(name, hparams, eigenvalues),
    }
    if name in LINEAR_METHODS:
        entry["formulas"] = {"rate": RATE_TEXT[name], "stable": STABILITY_TEXT[name]}
    return entry


def theory_block(surface, optimizers, schedule_name: str, paths: list[np.ndarray] | None = None) -> dict[str, Any]:
    """The API's `theory` object: {} for surfaces without a constant Hessian, else the summary plus
    per-run `predicted_rate` (spectral radius, constant schedule only), `stable`, `eta_max_stable`
    (with `stability_note` when null), `optimal` and `measured_rate` (towards the first minimum)."""
    if not getattr(surface, "constant_hessian", False):
        return {}
    facts = _constant_facts(surface)
    if facts is None:
        return {}
    eigenvalues, minimum = facts
    key = eigenvalues.tobytes()
    out = dict(_summary(key))
    runs = []
    for i, opt in enumerate(optimizers):
        items = _hashable(opt.hparams)
        entry = dict(_run_theory(opt.name, items, key, schedule_name == "constant") if items is not None
                     else run_theory(opt.name, opt.hparams, eigenvalues, schedule_name == "constant"))
        if paths is not None and minimum is not None and len(paths[i]):
            entry["measured_rate"] = measured_rate(paths[i], minimum)
        runs.append(entry)
    out["runs"] = runs
    return out


def _constant_facts(surface) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(eigenvalues of the constant Hessian, first listed minimum or None), or None if the Hessian is
    not finite. Kept on the surface object (a surface does not change once built, and the app reuses
    one object per surface reference): a slider's requests skip the Hessian and its eigenvalues."""
    memo = getattr(surface, "__dict__", None)
    facts = memo.get(_FACTS) if memo is not None else None
    if facts is None:
        eigenvalues = np.linalg.eigvalsh(surface.hessian(np.zeros(2)))
        minima = surface.minima_array()
        eigenvalues.setflags(write=False)  # shared by every request on this surface
        minima.setflags(write=False)
        facts = (eigenvalues, minima[0] if minima.size else None) if np.all(np.isfinite(eigenvalues)) else ()
        if memo is not None:
            memo[_FACTS] = facts
    return facts or None


_FACTS = "_theory_constant_facts"


# The closed forms depend only on (eigenvalues, method, hyperparameters): a slider that moves one
# optimizer's η recomputes that entry only (~0.1 ms each on numpy scalars). Callers copy the dicts
# they extend; the nested ones are shared and never modified.
@functools.lru_cache(maxsize=256)
def _summary(eigenvalues: bytes) -> dict[str, Any]:
    return quadratic_summary(np.frombuffer(eigenvalues))


@functools.lru_cache(maxsize=1024)
def _run_theory(name: str, hparams: tuple, eigenvalues: bytes, constant_lr: bool) -> dict[str, Any]:
    return run_theory(name, dict(hparams), np.frombuffer(eigenvalues), constant_lr)


def _hashable(hparams: dict[str, Any]) -> tuple | None:
    """hparams as a cache key (scalars and tuples of them), or None (arrays: not cached)."""
    items = tuple(sorted(hparams.items()))
    try:
        hash(items)
    except TypeError:
        return None
    return items
