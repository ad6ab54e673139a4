"""Learning-rate schedules: the lr of update t (t = 0, 1, ...) is lr · factor(t).

Semantics are those of a `torch.optim.lr_scheduler` stepped once after every update
(so update 0 uses factor(0) = 1, except `linear`, which starts at start_factor as LinearLR
does). `eta_min` of `cosine` is absolute, as in torch, so its factor depends on the base lr.

| name        | factor(t)                                                              |
|-------------|------------------------------------------------------------------------|
| constant    | 1                                                                      |
| step        | γ^⌊t / step_size⌋                      (StepLR)                         |
| exponential | γ^t                                    (ExponentialLR; Bishop 7.38)     |
| power       | (1 + t/s)^(−c)                          (Bishop 7.37 with exponent −c)  |
| cosine      | η_min/η + (1 − η_min/η)(1 + cos(π t / T_max))/2 (CosineAnnealingLR's closed form, periodic past T_max) |
| linear      | f₀ + (f₁ − f₀)·min(t, T)/T             (LinearLR)                      |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from engine.params import Param, resolve


class Schedule(NamedTuple):
    name: str
    params: dict[str, Any]
    factor: Callable[[np.ndarray, float], np.ndarray]  # (t, base_lr) -> factor

    def lrs(self, lr: float, steps: int) -> np.ndarray:
        """The learning rates of updates 0..steps-1."""
        t = np.arange(steps, dtype=float)
        return lr * self.factor(t, lr)


def _constant(t, lr):
    return np.ones_like(t)


def _step(step_size, gamma):
    return lambda t, lr: gamma ** np.floor(t / step_size)


def _exponential(gamma):
    return lambda t, lr: gamma ** t


def _power(s, c):
    return lambda t, lr: (1.0 + t / s) ** (-c)


def _cosine(t_max, eta_min):
    def factor(t, lr):
        ratio = eta_min / lr
        return ratio + (1.0 - ratio) * 0.5 * (1.0 + np.cos(np.pi * t / t_max))
    return factor


def _linear(start_factor, end_factor, total_iters):
    def factor(t, lr):
        frac = np.minimum(t, total_iters) / total_iters
        return start_factor + (end_factor - start_factor) * frac
    return factor


class ScheduleInfo(NamedTuple):
    name: str
    build: Callable[..., Callable]
    params: tuple[Param, ...]
    formula: str  # LaTeX of factor(t)


INFOS = (
    ScheduleInfo("constant", lambda: _constant, (), r"1"),
    ScheduleInfo("step", _step, (
        Param("step_size", 100, 1, 1e6, "updates between decays", kind="int"),
        Param("gamma", 0.5, 0.0, 1.0, "multiplicative decay γ", exclusive_min=True),
    ), r"\gamma^{\lfloor t / s \rfloor}"),
    ScheduleInfo("exponential", _exponential, (
        Param("gamma", 0.99, 0.0, 1.0, "per-update decay γ", exclusive_min=True),
    ), r"\gamma^{t}"),
    ScheduleInfo("power", _power, (
        Param("s", 100.0, 0.0, 1e6, "time scale s", exclusive_min=True, log=True),
        Param("c", 1.0, 0.0, 10.0, "decay exponent c"),
    ), r"(1 + t/s)^{-c}"),
    ScheduleInfo("cosine", _cosine, (
        Param("t_max", 500, 1, 1e6, "half period T_max in updates", kind="int"),
        Param("eta_min", 0.0, 0.0, 100.0, "minimum learning rate (absolute)"),
    ), r"\eta_{\min}/\eta + (1 - \eta_{\min}/\eta)\,\tfrac12(1 + \cos(\pi t / T_{\max}))"),
    ScheduleInfo("linear", _linear, (
        Param("start_factor", 1.0 / 3.0, 0.0, 1.0, "factor at t = 0", exclusive_min=True),
        Param("end_factor", 1.0, 0.0, 1.0, "factor from t = total_iters on"),
        Param("total_iters", 5, 1, 1e6, "updates to go from start to end factor", kind="int"),
    ), r"f_0 + (f_1 - f_0)\min(t, T)/T"),
)
REGISTRY = {info.name: info for info in INFOS}


def make_schedule(name: str = "constant", params: dict[str, Any] | None = None) -> Schedule:
    """Build a schedule by name with validated params (ValueError names the problem)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown schedule '{name}'; allowed: {', '.join(REGISTRY)}")
    info = REGISTRY[name]
    values = resolve(info.params, params, f"schedule '{name}'")
    return Schedule(name, values, info.build(**values))


def describe(info: ScheduleInfo) -> dict[str, Any]:
    return {"name": info.name, "formula": info.formula, "params": [p.describe() for p in info.params]}
