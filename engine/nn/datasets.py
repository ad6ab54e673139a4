"""Two-feature datasets generated in code from a seed (no downloads).

`make_dataset(name, n, seed, **params) -> Dataset(X (n, 2), y (n,), task, name, params)`.
Classification sets have labels y ∈ {0, 1} with ⌊n/2⌋ examples of class 0, shuffled
by the same seed; the regression set has real targets. Parameters are validated
against each row's `Param` table (ValueError names the parameter and its range).

| name       | generation (ε ~ N(0, noise²) per coordinate)                                         |
|------------|--------------------------------------------------------------------------------------|
| moons      | class 0: (cos θ, sin θ), class 1: (1 − cos θ, ½ − sin θ), θ evenly in [0, π]  (+ε)     |
| circles    | class 0: radius 1, class 1: radius `factor`, angles evenly in [0, 2π)  (+ε)            |
| xor        | x uniform in [−1, 1]², y = [x₁x₂ > 0], then +ε                                         |
| spirals    | r = t, angle 2π·turns·t (+π for class 1), t evenly in [0.05, 1]  (+ε)                  |
| blobs      | N(±(separation/2)(1, 1)/√2, std² I): class 0 at −, class 1 at +                       |
| regression | u₁ ~ N(0,1), u₂ = ρu₁ + √(1−ρ²)z; X = (u₁, scale_ratio·u₂); y = u₁ − ½u₂ + ε           |

So `regression` has corr(x₁, x₂) = ρ and std(x₂)/std(x₁) = scale_ratio (in expectation);
the least-squares weights on raw features are ≈ (1, −0.5/scale_ratio).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from engine.params import Param, resolve

MAX_N = 5000

SIZE_PARAMS = (
    Param("n", 200, 4, MAX_N, "number of examples", kind="int"),
    Param("seed", 0, 0, 2**32 - 1, "random seed of the data", kind="int"),
)


class Dataset(NamedTuple):
    X: np.ndarray  # (n, 2) features
    y: np.ndarray  # (n,) labels in {0, 1} (classification) or targets (regression)
    task: str  # "classification" | "regression"
    name: str
    params: dict[str, Any]  # resolved generator params, plus n and seed

    def bounds(self, pad: float = 0.1) -> tuple[tuple[float, float], tuple[float, float]]:
        """Bounding box of X, widened by `pad` × its extent on each side (for the decision-boundary grid)."""
        lo, hi = self.X.min(axis=0), self.X.max(axis=0)
        margin = pad * np.maximum(hi - lo, 1e-9)
        return ((float(lo[0] - margin[0]), float(hi[0] + margin[0])),
                (float(lo[1] - margin[1]), float(hi[1] + margin[1])))


class DatasetInfo(NamedTuple):
    name: str
    generate: Callable[..., tuple[np.ndarray, np.ndarray]]  # (rng, n0, n1, **params) or (rng, n, **params)
    params: tuple[Param, ...]
    task: str
    title: str


def _noise(default: float) -> Param:
    return Param("noise", default, 0.0, 2.0, "std of the Gaussian noise added to each coordinate")


def _moons(rng, n0, n1, noise):
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    outer = np.stack([np.cos(t0), np.sin(t0)], -1)
    inner = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], -1)
    return np.concatenate([outer, inner]), noise


def _circles(rng, n0, n1, noise, factor):
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)], -1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], -1)
    return np.concatenate([outer, inner]), noise


def _spirals(rng, n0, n1, noise, turns):
    arms = []
    for count, phase in ((n0, 0.0), (n1, np.pi)):
        t = np.linspace(0.05, 1.0, count)
        angle = 2 * np.pi * turns * t + phase
        arms.append(t[:, None] * np.stack([np.cos(angle), np.sin(angle)], -1))
    return np.concatenate(arms), noise


def _blobs(rng, n0, n1, separation, std):
    centre = 0.5 * separation * np.array([1.0, 1.0]) / np.sqrt(2.0)
    X = np.concatenate([rng.normal(-centre, std, (n0, 2)), rng.normal(centre, std, (n1, 2))])
    return X, 0.0


def _xor(rng, n, noise):
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    return X + rng.normal(0.0, 1.0, X.shape) * noise, y


def _regression(rng, n, rho, scale_ratio, noise):
    u1, z = rng.standard_normal(n), rng.standard_normal(n)
    u2 = rho * u1 + np.sqrt(1.0 - rho * rho) * z
    y = u1 - 0.5 * u2 + noise * rng.standard_normal(n)
    return np.stack([u1, scale_ratio * u2], -1), y


INFOS = (
    DatasetInfo("moons", _moons, (_noise(0.1),), "classification", "Two moons"),
    DatasetInfo("circles", _circles, (
        _noise(0.05),
        Param("factor", 0.5, 0.0, 0.99, "radius of the inner circle (outer = 1)", exclusive_min=True),
    ), "classification", "Concentric circles"),
    DatasetInfo("xor", _xor, (_noise(0.05),), "classification", "XOR quadrants"),
    DatasetInfo("spirals", _spirals, (
        _noise(0.05),
        Param("turns", 1.25, 0.25, 4.0, "turns of each spiral arm"),
    ), "classification", "Two spirals"),
    DatasetInfo("blobs", _blobs, (
        Param("separation", 3.0, 0.0, 20.0, "distance between the two blob centres"),
        Param("std", 1.0, 0.0, 10.0, "std of each blob", exclusive_min=True),
    ), "classification", "Gaussian blobs"),
    DatasetInfo("regression", _regression, (
        Param("rho", 0.0, -0.99, 0.99, "correlation ρ of the two features"),
        Param("scale_ratio", 1.0, 0.01, 100.0, "std of feature 2 / std of feature 1", log=True),
        _noise(0.1),
    ), "regression", "Linear regression, two features"),
)
REGISTRY: dict[str, DatasetInfo] = {info.name: info for info in INFOS}


def make_dataset(name: str, n: int = 200, seed: int = 0, **params: Any) -> Dataset:
    """Generate dataset `name` with n examples (4 ≤ n ≤ 5000) from `seed`; ValueError on bad input."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset '{name}'; allowed: {', '.join(REGISTRY)}")
    info = REGISTRY[name]
    owner = f"dataset '{name}'"
    size = resolve(SIZE_PARAMS, {"n": n, "seed": seed}, owner)
    values = resolve(info.params, params, owner)
    rng = np.random.default_rng(size["seed"])
    n = size["n"]
    if name in ("xor", "regression"):
        X, y = info.generate(rng, n, **values)
    else:
        n0 = n // 2
        X, noise = info.generate(rng, n0, n - n0, **values)
        X = X + rng.standard_normal(X.shape) * noise
        y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
        order = rng.permutation(n)
        X, y = X[order], y[order]
    return Dataset(np.ascontiguousarray(X, dtype=float), np.asarray(y, dtype=float), info.task, name,
                   {**values, **size})


def describe(info: DatasetInfo) -> dict[str, Any]:
    return {"name": info.name, "title": info.title, "task": info.task,
            "params": [p.describe() for p in (*SIZE_PARAMS, *info.params)]}
