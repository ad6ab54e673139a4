"""Sweep specifications: axes → cells, seeds → replicates, dotted paths, per-cell aggregates.

A sweep is a base request (a `/api/network/train` or `/api/run` body as plain JSON data) plus
1–3 axes. An axis is a dotted `path` into the base request (list indices as numbers, e.g.
`optimizers.0.lr`, `model.hidden.1`) with explicit `values` or a `range` {min, max, n, log}
(log: geometric spacing). Cells are the Cartesian product of the axes in row-major order
(the last axis varies fastest); cell `index` is the tuple of per-axis positions.

Replicate j (0 ≤ j < count) of a cell adds j to every seed named in `vary`
(`init` → model.seed, `data` → dataset.seed, `shuffle` → shuffle_seed for networks;
`noise` → noise.seed for 2D runs), the base value being the request's own seed (0 when
omitted). Replicate 0 is the cell's request itself.

Pure Python (no numpy state, no web imports): the app validates each cell's request with
its own request models.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

SEED_PATHS = {
    "network": {"init": ("model", "seed"), "data": ("dataset", "seed"), "shuffle": ("shuffle_seed",)},
    "run": {"noise": ("noise", "seed")},
}
# fields that take integers: a `range` over them is rounded (a list keeps what it was given)
INT_KEYS = frozenset({"n", "seed", "steps", "batch_size", "shuffle_seed", "record_every", "sharpness_every",
                      "sharpness_iters", "step_size", "t_max", "total_iters", "hidden", "snapshots", "iters"})


class PathError(ValueError):
    """A path that does not lead to a numeric field of the base request."""


def parse_path(path: str) -> list[str | int]:
    """'optimizers.0.lr' → ['optimizers', 0, 'lr']."""
    if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
        raise PathError(f"path {path!r} must be dot-separated names and list indices, e.g. 'optimizers.0.lr'")
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def is_int_path(path: str) -> bool:
    """Whether the field at `path` takes integers (by its own name or its list's name)."""
    keys = [k for k in parse_path(path) if isinstance(k, str)]
    return bool(keys) and keys[-1] in INT_KEYS


def axis_values(axis: Mapping[str, Any]) -> list[float | int]:
    """The values of one axis: its `values`, or n points of its `range` (geometric if log)."""
    if axis.get("values") is not None:
        return list(axis["values"])
    r = axis["range"]
    lo, hi, n, log = float(r["min"]), float(r["max"]), int(r["n"]), bool(r.get("log", False))
    if n == 1:
        out = [lo]
    elif log:
        if lo <= 0 or hi <= 0:
            raise ValueError(f"a log range needs min > 0 and max > 0, got [{lo}, {hi}]")
        ratio = math.log(hi / lo)
        out = [lo * math.exp(ratio * i / (n - 1)) for i in range(n)]
        out[-1] = hi
    else:
        out = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        out[-1] = hi
    if is_int_path(axis["path"]):
        out = [int(round(v)) for v in out]
    return out


def get_path(obj: Any, path: str) -> Any:
    node = obj
    for key in parse_path(path):
        if isinstance(node, Mapping) and isinstance(key, str) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            raise PathError(f"path '{path}' does not exist in the base request")
    return node


def set_path(obj: dict, path: str, value: float | int) -> None:
    """Set the numeric field at `path` in place. Missing dict keys are created (a default the
    base omitted, e.g. `optimizers.0.momentum`); list indices must exist; an existing value that
    is not a number (text, a flag, a list, an object) is a PathError."""
    keys = parse_path(path)
    node: Any = obj
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                raise PathError(f"path '{path}': index {key!r} is not in a list of {len(node)}")
        elif isinstance(node, dict):
            if not isinstance(key, str):
                raise PathError(f"path '{path}': '{key}' is a list index but the field is an object")
            if key not in node or node[key] is None:
                if last:
                    node[key] = None
                else:
                    node[key] = {}
        else:
            raise PathError(f"path '{path}' goes through a non-container value")
        if last:
            current = node[key]
            if current is not None and (isinstance(current, bool) or not isinstance(current, (int, float))):
                raise PathError(f"path '{path}' points to a non-numeric field ({type(current).__name__})")
            node[key] = value
        else:
            node = node[key]


def cells(axes: Sequence[Mapping[str, Any]]) -> list[tuple[tuple[int, ...], dict[str, float | int]]]:
    """(index, {path: value}) for every grid point, row-major (last axis fastest)."""
    grids = [axis_values(axis) for axis in axes]
    paths = [axis["path"] for axis in axes]
    out = []
    for index in itertools.product(*(range(len(g)) for g in grids)):
        out.append((tuple(index), {p: grids[a][i] for a, (p, i) in enumerate(zip(paths, index, strict=True))}))
    return out


def cell_request(base: Mapping[str, Any], values: Mapping[str, float | int]) -> dict:
    """A deep copy of the base request with the cell's values set."""
    request = copy.deepcopy(dict(base))
    for path, value in values.items():
        set_path(request, path, value)
    return request


def seed_of(request: Mapping[str, Any], kind: str, name: str) -> int:
    node: Any = request
    for key in SEED_PATHS[kind][name]:
        node = node.get(key) if isinstance(node, Mapping) else None
    return 0 if node is None else int(node)


def replicate(request: Mapping[str, Any], kind: str, j: int, vary: Sequence[str]) -> dict:
    """Replicate j of a cell's request: j added to each seed named in `vary` (j = 0: a copy)."""
    out = copy.deepcopy(dict(request))
    for name in vary:
        keys = SEED_PATHS[kind][name]
        node = out
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = seed_of(request, kind, name) + j
    return out


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of sorted values that may end in +inf:
    an interpolation weight of 0 takes the lower value alone (so inf·0 never makes NaN)."""
    n = len(sorted_values)
    pos = q * (n - 1)
    lo = int(math.floor(pos))
    frac = pos - lo
    a = sorted_values[lo]
    if frac == 0 or lo + 1 >= n:
        return a
    b = sorted_values[lo + 1]
    return a + (b - a) * frac if math.isfinite(b) else math.inf


def _finite_or_none(value: float) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def aggregate(seeds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Median and interquartile range [q25, q75] of the final loss across seeds (a diverged seed
    counts as +inf, so a cell where most seeds diverge has a null median), median accuracy over
    the seeds that did not diverge (null if none did, or for regression and 2D runs) and the
    fraction of seeds that diverged."""
    losses = sorted(math.inf if s["status"] == "diverged" or s["final_loss"] is None else float(s["final_loss"])
                    for s in seeds)
    accuracies = sorted(float(s["accuracy"]) for s in seeds
                        if s["status"] != "diverged" and s.get("accuracy") is not None)
    diverged = sum(s["status"] == "diverged" for s in seeds)
    return {
        "median_final_loss": _finite_or_none(_quantile(losses, 0.5)),
        "iqr_final_loss": [_finite_or_none(_quantile(losses, 0.25)), _finite_or_none(_quantile(losses, 0.75))],
        "median_accuracy": _quantile(accuracies, 0.5) if accuracies else None,
        "diverged_fraction": diverged / len(seeds),
    }
