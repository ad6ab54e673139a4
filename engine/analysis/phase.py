"""Phase diagrams: one optimizer from one start over a 2D grid of two hyperparameters.

Every cell of the grid is one run; all cells step together as ONE batch (`engine.run.run_batch`)
with the two swept hyperparameters given as arrays shaped (N, 1), broadcast over the batch axis.
Cell (i, j) belongs to (x[j], y[i]) where x sweeps the first axis and y the second (the layout of
`/api/grid`, so Plotly's heatmap takes `x`, `y`, `z` directly).

Per cell: final loss (NaN where the run diverged), the divergence flag, steps to converge
(first t with |∇f(x_t)| < tol, −1 if never) and a measured per-step contraction rate

    rate = (g_end / g_0)^(1 / t_end),   g_t = |∇f(x_t)|,

where t_end is the first t with g_t < tol (then g_end is taken as tol, an upper bound), else the
last kept iterate (`steps`, or the update count kept before divergence) with its gradient norm.
It is NaN when t_end = 0 or g_0 is 0 or non-finite. On a quadratic it approaches the spectral
radius from the start's transient; < 1 means the run contracted.

For a constant-Hessian surface, a linear method (gd, momentum, nesterov) and a constant schedule,
`phase_theory` adds the predicted spectral radius per cell, the stability boundary in η as a
curve over the other axis and, for the axes (lr, momentum), the optimum (η*, μ*). All three come
from engine.theory (formulas and derivations there and in docs/theory.md), the same functions
the run's theory block uses, so /api/phase and /api/run agree on what is stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.optimizers import REGISTRY as OPTIMIZERS
from engine.optimizers import Optimizer
from engine.params import Param, resolve
from engine.run import CONVERGED_GRAD_NORM, run_batch
from engine.schedules import Schedule
from engine.surfaces import Surface
from engine.theory import (
    LINEAR_METHODS,
    STABILITY_TEXT,
    is_stable,
    optimum,
    quadratic_summary,
    spectral_radius,
    stability_limit,
)

BOUNDARY_POINTS = 201  # samples of a boundary curve along the other axis


@dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: n values from min to max, log-spaced if `log`."""

    name: str
    min: float
    max: float
    n: int
    log: bool = False

    def values(self, n: int | None = None) -> np.ndarray:
        n = self.n if n is None else n
        if self.log:
            return np.geomspace(self.min, self.max, n)
        return np.linspace(self.min, self.max, n)


def axis_params(optimizer_name: str) -> dict[str, Param]:
    """The numeric hyperparameters an axis may sweep, with their ranges. A pair such as Adam's
    `betas` gives two axes named by its stem and position: `beta1`, `beta2`."""
    if optimizer_name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{optimizer_name}'; allowed: {', '.join(OPTIMIZERS)}")
    out: dict[str, Param] = {}
    for p in OPTIMIZERS[optimizer_name].params:
        if p.kind == "float":
            out[p.name] = p
        elif p.kind == "pair":
            stem = p.name[:-1] if p.name.endswith("s") else p.name
            for k in (1, 2):
                out[f"{stem}{k}"] = Param(f"{stem}{k}", p.default[k - 1], p.min, p.max, p.description,
                                          log=p.log, exclusive_min=p.exclusive_min)
    return out


def check_axes(optimizer_name: str, axes: Sequence[Axis]) -> None:
    """ValueError naming the axis and the allowed names or range when the axes are not exactly two
    distinct numeric hyperparameters of the optimizer with min < max inside their range."""
    allowed = axis_params(optimizer_name)
    names = [a.name for a in axes]
    if len(axes) != 2 or len(set(names)) != 2:
        raise ValueError(f"axes: need exactly two different hyperparameters, got {names}; "
                         f"allowed for '{optimizer_name}': {', '.join(allowed)}")
    for axis in axes:
        where = f"axes.{axis.name}"
        if axis.name not in allowed:
            raise ValueError(f"{where}: '{axis.name}' is not a numeric hyperparameter of '{optimizer_name}'; "
                             f"allowed: {', '.join(allowed)}")
        param = allowed[axis.name]
        for bound in (axis.min, axis.max):
            param.check(float(bound), where)  # raises with the allowed range
        if not axis.min < axis.max:
            raise ValueError(f"{where}: need min < max, got min={axis.min}, max={axis.max}")
        if axis.log and axis.min <= 0:
            raise ValueError(f"{where}: a log axis needs min > 0, got {axis.min}")
        if axis.n < 2:
            raise ValueError(f"{where}: n must be at least 2, got {axis.n}")


def batched_optimizer(name: str, hparams: Mapping[str, Any] | None,
                      overrides: Mapping[str, Any]) -> tuple[Optimizer, dict[str, Any]]:
    """The optimizer `name` with validated `hparams` (defaults for omitted ones), then `overrides`
    (arrays broadcastable against the batch, e.g. (N, 1)) put in place; `beta1`/`beta2` replace
    one element of the pair `betas`. Returns the optimizer and every effective value."""
    info = OPTIMIZERS[name]
    values = resolve(info.params, hparams, f"optimizer '{name}'")
    pairs = {p.name for p in info.params if p.kind == "pair"}
    for key, value in overrides.items():
        for pair in pairs:
            stem = pair[:-1] if pair.endswith("s") else pair
            if key in (f"{stem}1", f"{stem}2"):
                items = list(values[pair])
                items[int(key[-1]) - 1] = value
                values[pair] = tuple(items)
                break
        else:
            values[key] = value
    return info.factory(**values), values


@dataclass
class PhaseResult:
    axes: tuple[Axis, Axis]
    x: np.ndarray  # (nx,) values of axes[0]
    y: np.ndarray  # (ny,) values of axes[1]
    final_loss: np.ndarray  # (ny, nx), NaN where diverged
    diverged: np.ndarray  # (ny, nx) bool
    steps_to_converge: np.ndarray  # (ny, nx) int, −1 if never
    measured_rate: np.ndarray  # (ny, nx), NaN where undefined
    hparams: dict[str, Any]  # the fixed hyperparameters (swept ones excluded)
    theory: dict[str, Any] | None


def phase_diagram(surface: Surface, start: Sequence[float], optimizer_name: str,
                  hparams: Mapping[str, Any] | None, axes: Sequence[Axis], steps: int,
                  schedule: Schedule | None = None, tol: float = CONVERGED_GRAD_NORM) -> PhaseResult:
    """Run every (axes[0], axes[1]) combination from `start` for `steps` updates as one batch."""
    check_axes(optimizer_name, axes)
    ax, ay = axes
    x, y = ax.values(), ay.values()
    grid_x, grid_y = np.meshgrid(x, y)  # (ny, nx): cell (i, j) = (x[j], y[i])
    overrides = {ax.name: grid_x.reshape(-1, 1), ay.name: grid_y.reshape(-1, 1)}
    optimizer, values = batched_optimizer(optimizer_name, hparams, overrides)
    x0 = np.asarray(start, dtype=float).reshape(2)
    starts = np.tile(x0, (grid_x.size, 1))
    result = run_batch(surface.grad, surface.value, optimizer, starts, steps, values["lr"],
                       schedule=schedule, tol=tol, hessian_fn=surface.hessian)
    shape = grid_x.shape
    diverged = (result.diverged_at >= 0).reshape(shape)
    final_loss = np.where(diverged, np.nan, result.final_loss.reshape(shape))
    rate = _measured_rate(float(np.linalg.norm(surface.grad(x0))), result, steps, tol).reshape(shape)
    theory = None
    if schedule is None or schedule.name == "constant":
        grid_values = {**values, ax.name: grid_x, ay.name: grid_y}
        theory = phase_theory(surface, optimizer_name, grid_values, (ax, ay))
    return PhaseResult((ax, ay), x, y, final_loss, diverged, result.converged_at.reshape(shape), rate,
                       _fixed(values), theory)


def _fixed(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters that were not swept; of a half-swept pair, its fixed element by axis name."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, tuple):
            if not any(isinstance(v, np.ndarray) for v in value):
                out[key] = list(value)
                continue
            stem = key[:-1] if key.endswith("s") else key
            out.update({f"{stem}{k + 1}": v for k, v in enumerate(value) if not isinstance(v, np.ndarray)})
        elif not isinstance(value, np.ndarray):
            out[key] = value
    return out


def _measured_rate(g0: float, result, steps: int, tol: float) -> np.ndarray:
    """(g_end/g_0)^(1/t_end) per cell, as in the module docstring."""
    conv = result.converged_at
    div = result.diverged_at
    t_end = np.where(conv > 0, conv, np.where(div >= 0, div, steps)).astype(float)
    g_end = np.where(conv > 0, tol, result.final_grad_norm)
    with np.errstate(all="ignore"):
        rate = (g_end / g0) ** (1.0 / t_end)
    ok = (t_end > 0) & (conv != 0) & np.isfinite(rate) & (g0 > 0) & np.isfinite(g0)
    return np.where(ok, rate, np.nan)


def _other(axes: Sequence[Axis], name: str) -> Axis:
    return axes[1] if axes[0].name == name else axes[0]


def phase_theory(surface: Surface, name: str, values: Mapping[str, Any],
                 axes: Sequence[Axis]) -> dict[str, Any] | None:
    """Predicted spectral radius per cell, the stability boundary and the optimum, or None when
    the surface's Hessian is not constant or the method has no linear iteration. `values` holds
    every hyperparameter, the swept ones as (ny, nx) grids. Every number comes from engine.theory,
    the source the run's theory block uses too."""
    if name not in LINEAR_METHODS or not getattr(surface, "constant_hessian", False):
        return None
    eigenvalues = np.linalg.eigvalsh(surface.hessian(np.zeros(2)))
    rho = spectral_radius(name, values, eigenvalues)
    out: dict[str, Any] = dict(quadratic_summary(eigenvalues))
    out["predicted_rate"] = rho
    out["predicted_stable"] = is_stable(rho)
    out["boundary"] = _boundary(name, values, axes, eigenvalues)
    out["optimum"] = _optimum(name, values, axes, eigenvalues)
    return out


def _along(values: Mapping[str, Any], other: Axis, samples: np.ndarray) -> dict[str, Any]:
    """The hyperparameters along a boundary curve: the other axis takes the samples."""
    return {key: (samples if key == other.name else value) for key, value in values.items()
            if key == other.name or not isinstance(value, np.ndarray)}


def _boundary(name: str, values: Mapping[str, Any], axes: Sequence[Axis],
              eigenvalues: np.ndarray) -> list[dict[str, Any]]:
    """Curves in axis coordinates (`x` along axes[0], `y` along axes[1]) that the page draws as lines:
    the largest stable η over the other axis (theory.stability_limit), and for GD the optimal η*."""
    if "lr" not in (axes[0].name, axes[1].name):
        return []
    other = _other(axes, "lr")
    samples = other.values(BOUNDARY_POINTS)
    hp = _along(values, other, samples)
    eta_max = np.broadcast_to(stability_limit(name, hp, eigenvalues), samples.shape)
    curves = [_curve("stability", STABILITY_TEXT[name], axes, eta_max, samples)]
    if name == "gd":
        wd = np.broadcast_to(np.asarray(hp.get("weight_decay", 0.0), dtype=float), samples.shape)
        eta_opt = np.array([(optimum("gd", {"weight_decay": w}, eigenvalues) or {"lr": np.nan})["lr"] for w in wd])
        curves.append(_curve("optimal_lr", "η* = 2/(λmin + λmax + 2wd)", axes, eta_opt, samples))
    return curves


def _curve(kind: str, formula: str, axes: Sequence[Axis], eta: np.ndarray, samples: np.ndarray) -> dict:
    x, y = (eta, samples) if axes[0].name == "lr" else (samples, eta)
    return {"kind": kind, "formula": formula, "x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}


def _optimum(name: str, values: Mapping[str, Any], axes: Sequence[Axis],
             eigenvalues: np.ndarray) -> dict[str, Any] | None:
    """(η*, μ*) and its rate for heavy ball / Nesterov when the axes are exactly lr and momentum."""
    if name == "gd" or {a.name for a in axes} != {"lr", "momentum"}:
        return None
    fixed = {k: v for k, v in values.items() if not isinstance(v, np.ndarray)}
    best = optimum(name, fixed, eigenvalues)
    if best is None:
        return None
    point = {"lr": best["lr"], "momentum": best["momentum"]}
    inside = all(a.min <= point[a.name] <= a.max for a in axes)
    return {"x": point[axes[0].name], "y": point[axes[1].name], "lr": point["lr"],
            "momentum": point["momentum"], "rate": best["rate"], "inside": inside, "formula": best["formula"]}
