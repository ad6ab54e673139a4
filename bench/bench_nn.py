"""Benchmarks of engine.nn against naive per-point Python loops (not part of the test run).

    python bench/bench_nn.py

1. A 41×41 loss plane for an MLP 2→30→30→1 (d = 1051) on moons (n = 500):
   one batched pass of 1681 weight vectors (`make_plane`) versus (a) a Python loop calling
   `MLP.loss` once per grid point (already vectorized over the 500 examples) and (b) a loop
   over grid points and examples (timed on a few points, extrapolated). Target ≤ 1 s.
2. 4 optimizers (gd, momentum, nesterov, adam) × 1000 full-batch steps on that model
   (`train`, all four gradients in one batched backprop per step) versus
   (a) a loop over optimizers with one unbatched `loss_and_grad` each, and
   (b) textbook per-example backprop in Python (timed on a few steps, extrapolated).
   Target ≤ 2 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.nn import MLP, make_dataset, make_plane, train  # noqa: E402
from engine.nn.planes import filter_normalized_directions  # noqa: E402
from engine.optimizers import REGISTRY, make_optimizer  # noqa: E402

N_GRID = 41
STEPS = 1000
SPECS = [{"name": "gd", "lr": 0.1}, {"name": "momentum", "lr": 0.05}, {"name": "nesterov", "lr": 0.05},
         {"name": "adam" if "adam" in REGISTRY else "gd", "lr": 0.01}]


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of `repeat` calls and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def naive_plane(model, data, center, dirs, grid):
    loss = np.empty((len(grid), len(grid)))
    for i, b in enumerate(grid):
        for j, a in enumerate(grid):
            loss[i, j] = model.loss(center + a * dirs[0] + b * dirs[1], data.X, data.y)
    return loss


def per_example_loss(model, w, X, y):
    """Forward one example at a time (tanh hidden layers, bce)."""
    params = [(w[lay.w_start:lay.b_start].reshape(lay.n_out, lay.n_in), w[lay.b_start:lay.end])
              for lay in model.layers]
    total = 0.0
    for x, t in zip(X, y, strict=True):
        a = x
        for k, (W, b) in enumerate(params):
            a = W @ a + b
            if k < len(params) - 1:
                a = np.tanh(a)
        f = a[0]
        total += max(f, 0.0) - f * t + np.log1p(np.exp(-abs(f)))
    return total / len(y)


def per_example_grad(model, w, X, y):
    """Backprop one example at a time (tanh hidden layers, bce), the loop the engine avoids."""
    params = [(w[lay.w_start:lay.b_start].reshape(lay.n_out, lay.n_in), w[lay.b_start:lay.end])
              for lay in model.layers]
    grad = np.zeros_like(w)
    for x, t in zip(X, y, strict=True):
        acts = [x]
        for k, (W, b) in enumerate(params):
            z = W @ acts[-1] + b
            acts.append(np.tanh(z) if k < len(params) - 1 else z)
        delta = np.array([1.0 / (1.0 + np.exp(-acts[-1][0])) - t]) / len(y)
        for k in range(len(params) - 1, -1, -1):
            lay = model.layers[k]
            grad[lay.w_start:lay.b_start] += np.outer(delta, acts[k]).ravel()
            grad[lay.b_start:lay.end] += delta
            if k:
                delta = (params[k][0].T @ delta) * (1.0 - acts[k] ** 2)
    return grad


def naive_train(model, data, w0, steps, grad_fn):
    final = []
    for spec in SPECS:
        spec = dict(spec)
        opt = make_optimizer(spec.pop("name"), spec)
        w, state = w0.copy(), opt.init(w0.copy())
        for _ in range(steps):
            w, state = opt.update(grad_fn(w), state, w, opt.hparams["lr"])
        final.append(w)
    return np.array(final)


def main() -> None:
    data = make_dataset("moons", n=500, seed=0, noise=0.1)
    model = MLP((30, 30), "tanh", "bce")
    w0 = model.init(0)
    print(f"model 2→30→30→1, d = {model.d}; data moons n = {len(data.y)}")

    # 1. plane
    t_fast, (plane, _) = timed(lambda: make_plane(model, data, w0, "random", n=N_GRID, span=1.0, seed=0))
    dirs = filter_normalized_directions(model, w0, 0)
    t_slow, slow = timed(lambda: naive_plane(model, data, w0, dirs, plane.alphas), repeat=1)
    assert np.allclose(slow, plane.loss, rtol=1e-12)
    print(f"plane {N_GRID}×{N_GRID}: batched {t_fast:.3f} s (target ≤ 1 s: {'ok' if t_fast <= 1.0 else 'MISSED'})")
    print(f"  loop over grid points, each a vectorized pass over the data: {t_slow:.3f} s, "
          f"ratio ×{t_slow / t_fast:.1f}")
    few = 10
    t_naive, naive = timed(lambda: [per_example_loss(model, w0 + a * dirs[0], data.X, data.y)
                                    for a in plane.alphas[:few]], repeat=1)
    assert np.allclose(naive, plane.loss[N_GRID // 2, :few], rtol=1e-12)
    t_naive_full = t_naive * N_GRID**2 / few
    print(f"  loop over grid points and examples: {t_naive:.3f} s for {few} points → ≈{t_naive_full:.1f} s "
          f"(extrapolated), ratio ×{t_naive_full / t_fast:.0f}")

    # 2. training
    t_train, result = timed(lambda: train(model, data, SPECS, STEPS, w0=w0, record_every=10), repeat=2)
    print(f"train {len(SPECS)} optimizers × {STEPS} full-batch steps: {t_train:.3f} s "
          f"(target ≤ 2 s: {'ok' if t_train <= 2.0 else 'MISSED'})")
    t_loop, loop_w = timed(lambda: naive_train(model, data, w0, STEPS,
                                               lambda w: model.loss_and_grad(w, data.X, data.y)[1]), repeat=1)
    final = np.array([r.weights[-1] for r in result.runs])
    assert np.allclose(loop_w, final, rtol=1e-8, atol=1e-10)
    print(f"  loop over optimizers, unbatched backprop: {t_loop:.3f} s, ratio ×{t_loop / t_train:.1f}")
    few = 5
    t_naive, naive_w = timed(lambda: naive_train(model, data, w0, few,
                                                 lambda w: per_example_grad(model, w, data.X, data.y)), repeat=1)
    check = train(model, data, SPECS, few, w0=w0, record_every=few)
    assert np.allclose(naive_w, [r.weights[-1] for r in check.runs], rtol=1e-8, atol=1e-10)
    t_naive_full = t_naive * STEPS / few
    print(f"  per-example Python backprop: {t_naive:.3f} s for {few} steps → ≈{t_naive_full:.1f} s for {STEPS} "
          f"(extrapolated), ratio ×{t_naive_full / t_train:.0f}")
    for r in result.runs:
        print(f"    {r.label:9s} loss {r.loss[-1]:.4f}  accuracy {r.accuracy[-1]:.3f}  {r.status}")


if __name__ == "__main__":
    main()
