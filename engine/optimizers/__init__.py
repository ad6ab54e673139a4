"""Optimizer registry: one table behind `/api/optimizers`, validation and the page's menus.

Adding an optimizer = one module exporting `INFOS` + one line here + its test.
"""

from __future__ import annotations

from typing import Any

from engine.optimizers import (
    adadelta,
    adafactor,
    adagrad,
    adam,
    adamax,
    asgd,
    lbfgs,
    lion,
    nadam,
    newton,
    radam,
    rmsprop,
    rprop,
    schedulefree,
    sgd,
)
from engine.optimizers.base import Optimizer, OptimizerInfo
from engine.params import resolve

REGISTRY: dict[str, OptimizerInfo] = {
    info.name: info
    for module in (sgd, adagrad, rmsprop, adam, adadelta, newton,
                   adamax, nadam, radam, rprop, asgd, adafactor, lion, schedulefree, lbfgs)
    for info in module.INFOS
}


def make_optimizer(name: str, hparams: dict[str, Any] | None = None) -> Optimizer:
    """Build a registered optimizer by name with validated hyperparameters (ValueError on bad input)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown optimizer '{name}'; allowed: {', '.join(REGISTRY)}")
    info = REGISTRY[name]
    values = resolve(info.params, hparams, f"optimizer '{name}'")
    return info.factory(**values)


def describe(info: OptimizerInfo) -> dict[str, Any]:
    return {"name": info.name, "title": info.title, "torch": info.torch, "rule": info.rule,
            "params": [p.describe() for p in info.params], "demo": dict(info.demo or {}),
            # networks have no d×d Hessian: Newton-type methods are 2D only
            "networks": not info.factory().needs_hessian}


__all__ = ["REGISTRY", "Optimizer", "OptimizerInfo", "describe", "make_optimizer"]
