"""One optimizer object stepping B trainings whose hyperparameters differ, as (B, 1) columns.

Every row's hyperparameters are resolved exactly as `make_optimizer` resolves a single spec
(same defaults, same validation). A hyperparameter equal in every row stays the scalar a single
run gets (so e.g. Adam's `beta2 ** step` is the same scalar power); one that differs becomes a
(B, 1) column broadcast over the weights. The update rules are elementwise IEEE arithmetic
(engine/optimizers/base.py forbids branches on values), so row b's update equals the single
run's update bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.optimizers import REGISTRY, Optimizer
from engine.params import resolve


def resolved(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The factory arguments of one spec {"name", <given hyperparameters>}."""
    name = spec["name"]
    if name not in REGISTRY:
        raise ValueError(f"unknown optimizer '{name}'; allowed: {', '.join(REGISTRY)}")
    given = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items() if k not in ("name", "label")}
    return resolve(REGISTRY[name].params, given, f"optimizer '{name}'")


def _column(values: Sequence[Any]) -> Any:
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    return np.asarray(values, dtype=float).reshape(-1, 1)


def batched(specs: Sequence[Mapping[str, Any]]) -> Optimizer:
    """The optimizer of `specs[0]["name"]` with row b's hyperparameters from `specs[b]`."""
    names = {spec["name"] for spec in specs}
    if len(names) != 1:
        raise ValueError(f"a batch needs one optimizer name, got {sorted(names)}")
    rows = [resolved(spec) for spec in specs]
    merged: dict[str, Any] = {}
    for key in rows[0]:
        values = [row[key] for row in rows]
        if isinstance(values[0], tuple):
            merged[key] = tuple(_column([v[i] for v in values]) for i in range(len(values[0])))
        elif isinstance(values[0], bool) or not isinstance(values[0], (int, float)):
            if any(v != values[0] for v in values):
                raise ValueError(f"'{key}' must be the same in every row of a batch")
            merged[key] = values[0]
        else:
            merged[key] = _column(values)
    return REGISTRY[names.pop()].factory(**merged)


def shape_key(spec: Mapping[str, Any]) -> tuple:
    """What must be equal for two specs to share a batch: the name and the non-numeric settings."""
    row = resolved(spec)
    flags = tuple(sorted((k, v) for k, v in row.items()
                         if isinstance(v, bool) or not isinstance(v, (int, float, tuple))))
    return (spec["name"], flags)
