"""Training several optimizers from the same initial weights, streamed in chunks.

`train_iter(...)` is a generator of `TrainChunk`s (what the API streams as NDJSON);
`train(...)` collects them into one `TrainResult`. Semantics:

* Every optimizer starts from the same w₀ and sees the same minibatch sequence: a
  permutation of the N examples drawn from `shuffle_seed` at the start of each epoch,
  cut into consecutive batches of `batch_size` (the last one may be smaller, as torch's
  DataLoader with drop_last=False). `batch_size=None` (or ≥ N) is full-batch.
* One step = one optimizer update. The learning rate of update t is
  `schedule.lrs(lr, steps)[t]` with each optimizer's own base lr.
* Records at t = 0, k, 2k, … and at the last step: the loss and accuracy on the full
  dataset and the weights. Sharpness λmax of the full-data Hessian (Lanczos on exact
  HVPs) every `sharpness_every` steps and at the last step, with the lr η_t of that
  step so it can be compared with 2/η_t.
* A run stops with status "diverged" at step t (never raises; the others go on) when the
  loss at w_t (the minibatch's, or the full data's at a record) or its gradient is not
  finite, |w_t| > 1e6, or the loss exceeds 10⁴ × the full-data loss at w₀: the one rule of
  `engine.divergence` (with floor 0, since these losses are ≥ 0) that surface runs follow too.
  The weights of step t are then not recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.divergence import keepable, network_ceiling
from engine.nn.datasets import Dataset
from engine.nn.hessian import lam_max
from engine.nn.mlp import MLP
from engine.optimizers import make_optimizer
from engine.optimizers.base import Optimizer
from engine.schedules import Schedule, make_schedule

NEWTON_ERROR = "newton is not available for networks"


@dataclass
class RunTrace:
    """Records of one optimizer (all of them in a `TrainResult`, the new ones in a `TrainChunk`)."""

    label: str
    name: str
    hparams: dict[str, Any]
    status: str = "ok"  # "ok" | "diverged"
    diverged_at: int | None = None  # the step whose loss or gradient was non-finite
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    accuracy: np.ndarray | None = None  # None for regression
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (m, d)
    sharpness_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    lam_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sharpness_eta: np.ndarray = field(default_factory=lambda: np.zeros(0))  # η_t at those steps

    def extend(self, other: RunTrace) -> None:
        """Append the records of a later chunk of the same run."""
        self.status, self.diverged_at = other.status, other.diverged_at
        self.steps = np.concatenate([self.steps, other.steps])
        self.loss = np.concatenate([self.loss, other.loss])
        if other.accuracy is not None:
            self.accuracy = np.concatenate([self.accuracy if self.accuracy is not None else [], other.accuracy])
        self.weights = other.weights if self.weights.size == 0 else np.concatenate([self.weights, other.weights])
        self.sharpness_steps = np.concatenate([self.sharpness_steps, other.sharpness_steps])
        self.lam_max = np.concatenate([self.lam_max, other.lam_max])
        self.sharpness_eta = np.concatenate([self.sharpness_eta, other.sharpness_eta])

    def as_dict(self, weights: bool = False) -> dict[str, Any]:
        out = {"label": self.label, "name": self.name, "hparams": self.hparams, "status": self.status,
               "diverged_at": self.diverged_at, "steps": self.steps.tolist(), "loss": self.loss.tolist(),
               "accuracy": None if self.accuracy is None else self.accuracy.tolist(),
               "sharpness": {"steps": self.sharpness_steps.tolist(), "lam_max": self.lam_max.tolist(),
                             "eta": self.sharpness_eta.tolist()}}
        if weights:
            out["weights"] = self.weights.tolist()
        return out


@dataclass
class TrainChunk:
    step: int  # updates done so far (the records cover steps ≤ this)
    total: int  # requested steps
    runs: list[RunTrace]
    done: bool = False

    def as_dict(self, weights: bool = False) -> dict[str, Any]:
        return {"step": self.step, "total": self.total, "done": self.done,
                "runs": [r.as_dict(weights) for r in self.runs]}


@dataclass
class TrainResult:
    w0: np.ndarray
    steps: int
    runs: list[RunTrace]

    def run(self, label: str) -> RunTrace:
        for r in self.runs:
            if r.label == label:
                return r
        raise KeyError(label)


def build_optimizers(specs: Sequence[Optimizer | Mapping[str, Any]]) -> list[tuple[str, Optimizer]]:
    """(label, Optimizer) pairs from Optimizer objects or API-style specs
    {"name": ..., "label"?: ..., <hyperparameters>}; duplicate labels get " #2", " #3", …"""
    if not specs:
        raise ValueError("optimizers: at least one optimizer is required")
    out, seen = [], {}
    for spec in specs:
        if isinstance(spec, Optimizer):
            name, label, opt = spec.name, spec.name, spec
            if name == "newton" or spec.needs_hessian:
                raise ValueError(NEWTON_ERROR)
        else:
            spec = dict(spec)
            name = spec.pop("name", None)
            label = spec.pop("label", None) or name
            if name == "newton":
                raise ValueError(NEWTON_ERROR)
            opt = make_optimizer(name, spec)
            if opt.needs_hessian:
                raise ValueError(NEWTON_ERROR)
        if "lr" not in opt.hparams:
            raise ValueError(f"optimizer '{name}' has no learning rate 'lr'")
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label} #{seen[label]}", opt))
    return out


def _int_arg(name: str, value: Any, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"train: parameter '{name}' must be an integer ≥ {lo}, got {value!r}")
    return int(value)


def _batches(N: int, size: int | None, seed: int) -> Iterator[np.ndarray | None]:
    """Index arrays of the minibatches, reshuffled each epoch from one seeded generator."""
    if size is None or size >= N:
        while True:
            yield None
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(N)
        for start in range(0, N, size):
            yield order[start:start + size]


def train_iter(model: MLP, data: Dataset, optimizers: Sequence[Optimizer | Mapping[str, Any]], steps: int, *,
               w0: np.ndarray | None = None, init_seed: int = 0, init: str = "he", sigma: float = 0.1,
               batch_size: int | None = None, schedule: Schedule | None = None, shuffle_seed: int = 0,
               record_every: int = 1, sharpness_every: int = 0, sharpness_iters: int = 20,
               chunk_steps: int = 100) -> Iterator[TrainChunk]:
    """Yield a `TrainChunk` every `chunk_steps` updates and a final one with done=True.

    w0 defaults to `model.init(init_seed, init, sigma)`; sharpness_every = 0 turns λmax off.
    """
    opts = build_optimizers(optimizers)
    if model.loss_name == "bce" and data.task != "classification":
        raise ValueError(f"model: loss 'bce' needs a classification dataset, '{data.name}' is {data.task}")
    steps = _int_arg("steps", steps, 1)
    record_every = _int_arg("record_every", record_every, 1)
    sharpness_every = _int_arg("sharpness_every", sharpness_every, 0)
    sharpness_iters = _int_arg("sharpness_iters", sharpness_iters, 1)
    chunk_steps = _int_arg("chunk_steps", chunk_steps, 1)
    if batch_size is not None:
        batch_size = _int_arg("batch_size", batch_size, 1)
    w0 = model.init(init_seed, init, sigma) if w0 is None else np.asarray(w0, dtype=float).reshape(model.d)
    schedule = schedule or make_schedule("constant")
    X, y = data.X, data.y
    classify = data.task == "classification"
    K = len(opts)
    lrs = np.stack([schedule.lrs(float(opt.hparams["lr"]), steps) for _, opt in opts])  # (K, steps)
    W = np.tile(w0, (K, 1))
    states = [opt.init(W[k].copy()) for k, (_, opt) in enumerate(opts)]
    active = np.ones(K, dtype=bool)
    diverged_at: list[int | None] = [None] * K
    batches = _batches(len(y), batch_size, shuffle_seed)
    buf = _Buffer(K)
    limit = network_ceiling(model.loss(w0, X, y))  # same w₀ for every run: one ceiling

    def stop(k: int, t: int) -> None:
        active[k], diverged_at[k] = False, t

    def chunk(t: int, done: bool) -> TrainChunk:
        runs = [buf.trace(k, label, opt, diverged_at[k], classify, model.d) for k, (label, opt) in enumerate(opts)]
        buf.clear()
        return TrainChunk(t, steps, runs, done)

    for t in range(steps + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        if t % record_every == 0 or t == steps:
            loss, acc = model.evaluate(W[idx], X, y)
            ok = keepable(W[idx], loss, limit)
            for j, k in enumerate(idx):
                if ok[j]:
                    buf.record(k, t, loss[j], acc[j], W[k])
                else:
                    stop(k, t)
            idx = np.flatnonzero(active)
        if sharpness_every and idx.size and (t % sharpness_every == 0 or t == steps):
            lam = lam_max(model, W[idx], X, y, iters=sharpness_iters)
            for j, k in enumerate(idx):
                buf.sharp(k, t, lam[j], lrs[k, min(t, steps - 1)])
        if t == steps or idx.size == 0:
            break
        rows = next(batches)
        Xb, yb = (X, y) if rows is None else (X[rows], y[rows])
        loss, grads = model.loss_and_grad(W[idx], Xb, yb)
        ok = keepable(W[idx], loss, limit) & np.isfinite(grads).all(axis=-1)
        with np.errstate(all="ignore"):
            for j, k in enumerate(idx):
                if not ok[j]:
                    stop(k, t)
                    continue
                opt = opts[k][1]
                # L-BFGS re-evaluates the same minibatch inside its step (torch's closure)
                extra = {"closure": lambda w, Xb=Xb, yb=yb: model.loss_and_grad(w, Xb, yb)} if opt.needs_closure else {}
                W[k], states[k] = opt.update(grads[j], states[k], W[k], lrs[k, t], **extra)
        if (t + 1) % chunk_steps == 0 and t + 1 < steps:
            yield chunk(t + 1, False)
    yield chunk(steps, True)


def train(model: MLP, data: Dataset, optimizers: Sequence[Optimizer | Mapping[str, Any]], steps: int,
          **options: Any) -> TrainResult:
    """Run `train_iter` to the end and merge its chunks (same arguments)."""
    if options.get("w0") is None:
        options["w0"] = model.init(options.pop("init_seed", 0), options.pop("init", "he"),
                                   options.pop("sigma", 0.1))
    runs: list[RunTrace] | None = None
    for part in train_iter(model, data, optimizers, steps, **options):
        if runs is None:
            runs = part.runs
        else:
            for run, new in zip(runs, part.runs, strict=True):
                run.extend(new)
    return TrainResult(np.asarray(options["w0"], dtype=float), steps, runs or [])


class _Buffer:
    """Per-run records since the last chunk."""

    def __init__(self, K: int) -> None:
        self.K = K
        self.clear()

    def clear(self) -> None:
        self.rec: list[list[tuple]] = [[] for _ in range(self.K)]
        self.sh: list[list[tuple]] = [[] for _ in range(self.K)]

    def record(self, k: int, t: int, loss: float, acc: float, w: np.ndarray) -> None:
        self.rec[k].append((t, float(loss), float(acc), w.copy()))

    def sharp(self, k: int, t: int, lam: float, eta: float) -> None:
        self.sh[k].append((t, float(lam), float(eta)))

    def trace(self, k: int, label: str, opt: Optimizer, diverged_at: int | None, classify: bool,
              d: int) -> RunTrace:
        rec, sh = self.rec[k], self.sh[k]
        return RunTrace(
            label=label, name=opt.name, hparams=dict(opt.hparams),
            status="ok" if diverged_at is None else "diverged", diverged_at=diverged_at,
            steps=np.array([r[0] for r in rec], dtype=int), loss=np.array([r[1] for r in rec]),
            accuracy=np.array([r[2] for r in rec]) if classify else None,
            weights=np.array([r[3] for r in rec]).reshape(len(rec), d),
            sharpness_steps=np.array([s[0] for s in sh], dtype=int), lam_max=np.array([s[1] for s in sh]),
            sharpness_eta=np.array([s[2] for s in sh]))
