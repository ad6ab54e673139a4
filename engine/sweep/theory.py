"""The theory a Phase diagram draws, for a sweep of a 2D run over two hyperparameters of its optimizer.

A sweep whose base is a `/api/run` body on a constant-Hessian surface (the quadratic, least
squares), with a linear method (gd, momentum, nesterov), a constant schedule and exactly two axes
over that optimizer's hyperparameters (paths optimizers.0.<name>, or optimizers.0.<pair>.<k>) gets
the block `/api/phase` computes for the same grid: `engine.analysis.phase.phase_theory`, itself
engine.theory's formulas. Nothing here derives a formula; the page only draws what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.analysis.phase import Axis, axis_params, batched_optimizer, phase_theory
from engine.sweep.surface import _surface


def _axis_name(path: str) -> str | None:
    """The Phase axis name of a sweep path (lr, momentum, beta1, …), None if it is not optimizers.0's."""
    keys = path.split(".")
    if keys[:2] != ["optimizers", "0"]:
        return None
    if len(keys) == 3:
        return keys[2]
    if len(keys) == 4 and keys[3] in ("0", "1"):
        stem = keys[2][:-1] if keys[2].endswith("s") else keys[2]
        return f"{stem}{int(keys[3]) + 1}"
    return None


def _geometric(values: np.ndarray) -> bool:
    if values.size < 3 or values[0] <= 0:
        return False
    ratios = values[1:] / values[:-1]
    return bool(np.allclose(ratios, ratios[0], rtol=1e-9)) and not np.allclose(np.diff(values), values[1] - values[0])


def sweep_theory(job: Mapping[str, Any], axes: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Phase's theory block for the grid of `axes` ([{path, values}], x first) around the base `job`
    (a resolved 2D-run job), or None when Phase would have none (or the axes are not two of the
    optimizer's hyperparameters). Grids are indexed [y][x], as the heatmap's z."""
    if job.get("kind") != "run" or len(axes) != 2 or job["schedule"]["name"] != "constant":
        return None
    names = [_axis_name(axis["path"]) for axis in axes]
    spec = job["optimizer"]
    if None in names or names[0] == names[1] or any(n not in axis_params(spec["name"]) for n in names):
        return None
    values = [np.asarray(axis["values"], dtype=float) for axis in axes]
    if any(v.size < 2 or not v.min() < v.max() for v in values):
        return None
    phase_axes = tuple(Axis(n, float(v.min()), float(v.max()), int(v.size), _geometric(v))
                       for n, v in zip(names, values, strict=True))
    grid_x, grid_y = np.meshgrid(values[0], values[1])
    hparams = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k not in ("name", "label")}
    _, resolved = batched_optimizer(spec["name"], hparams, {names[0]: grid_x, names[1]: grid_y})
    theory = phase_theory(_surface(job["surface"]), spec["name"], resolved, phase_axes)
    if theory is None:
        return None
    theory["boundary"] = [dict(curve) for curve in theory["boundary"]]
    return theory
