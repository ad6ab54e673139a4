"""Engine timings against a naive per-step Python loop and, when importable, torch.optim.

Every workload is timed three ways in the same process, on the same inputs:
- losslab: the engine function the API calls (run_many, run_batch, grid, plane_loss);
- naive: a plain Python loop calling the *same* surface and optimizer `update` one point
  (one weight vector) at a time; for the big workloads a fixed subsample is timed and scaled
  linearly (the note says by how much), since the loop's cost is exactly linear in points;
- torch: torch.optim (or plain torch tensors for evaluations) in float64 on the CPU.
Each row also records how far the three answers are apart, so the speed is for the same result.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.schemas.runs import DEFAULT_SCENE
from engine.grid import grid
from engine.optimizers import make_optimizer
from engine.run import DIVERGENCE_NORM, run_batch, run_many
from engine.surfaces import make_surface

try:  # torch is optional: not a dependency of the project
    import torch

    # one thread, like numpy's elementwise kernels: compares the libraries, not the thread counts
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - depends on the machine
    torch = None


@dataclass
class Row:
    workload: str
    losslab: float  # seconds
    naive: float | None = None
    naive_note: str = ""
    torch: float | None = None
    torch_note: str = ""
    check: str = ""  # agreement of the answers


def timed(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, Any]:
    """Median wall time of `repeat` calls after `warmup` untimed ones, and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


# ---- naive loops: the same update, one point at a time ------------------------------------

def naive_run(surface, optimizer, start, steps: int) -> np.ndarray:
    """One optimizer from one start, step by step, with the engine's divergence rule; the path."""
    x = np.array(start, dtype=float)
    state = optimizer.init(x)
    lr = optimizer.hparams["lr"]
    g = surface.grad(x)
    path, loss, gnorm = [x.copy()], [float(surface.value(x))], [float(np.linalg.norm(g))]
    for _ in range(steps):
        x, state = optimizer.update(g, state, x, lr)
        f = float(surface.value(x))
        if not (np.all(np.isfinite(x)) and np.isfinite(f) and np.linalg.norm(x) <= DIVERGENCE_NORM):
            break
        g = surface.grad(x)
        path.append(x.copy())
        loss.append(f)
        gnorm.append(float(np.linalg.norm(g)))
    return np.array(path)


def naive_batch(surface, optimizer, starts: np.ndarray, steps: int) -> np.ndarray:
    """Each start on its own (the per-point loop a basin map would need without batching); finals."""
    return np.array([naive_run(surface, optimizer, s, steps)[-1] for s in starts])


def naive_grid(surface, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([[float(surface.value(np.array([xj, yi]))) for xj in x] for yi in y])


# ---- torch twins of the surfaces used here --------------------------------------------------

def torch_optimizer(spec: dict, params):
    name, lr = spec["name"], spec["lr"]
    if name == "gd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=spec.get("momentum", 0.9))
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=spec.get("momentum", 0.9), nesterov=True)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"no torch twin for optimizer {name!r}")


def torch_path(f, spec: dict, start, steps: int) -> np.ndarray:
    p = torch.tensor(np.asarray(start, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(spec, [p])
    path = np.empty((steps + 1, p.shape[-1]))
    path[0] = start
    for t in range(steps):
        opt.zero_grad()
        f(p).sum().backward()
        opt.step()
        path[t + 1] = p.detach().numpy()
    return path


def himmelblau_t(p):
    x, y = p[..., 0], p[..., 1]
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


# ---- workloads ------------------------------------------------------------------------------

def default_scene(repeat: int) -> Row:
    scene = DEFAULT_SCENE
    surface = make_surface(scene["surface"]["name"], scene["surface"]["params"])
    specs = [dict(o) for o in scene["optimizers"]]
    opts = [make_optimizer(s["name"], {k: v for k, v in s.items() if k != "name"}) for s in specs]
    start, steps = scene["start"], 500  # issue 20's figure: 4 optimizers × 500 updates
    t_engine, results = timed(lambda: run_many(surface, opts, start, steps), repeat)
    t_numpy, _ = timed(lambda: run_many(surface, opts, start, steps, use_kernels=False), repeat)
    t_naive, naive = timed(lambda: [naive_run(surface, o, start, steps) for o in opts], repeat)
    diff = max(float(np.max(np.abs(r.path - p))) for r, p in zip(results, naive, strict=True))
    row = Row(f"default scene ({len(opts)} optimizers × {steps} steps, run_many; numpy path "
              f"{t_numpy * 1e3:.3g} ms)", t_engine, t_naive, check=f"max |Δpath| vs naive {diff:.1e}")
    if torch is not None:
        H = torch.tensor(surface.hessian(np.zeros(2)), dtype=torch.float64)

        def quad(p):
            return 0.5 * p @ H @ p

        t_torch, paths = timed(lambda: [torch_path(quad, s, start, steps) for s in specs], max(1, repeat // 2))
        tdiff = max(float(np.max(np.abs(r.path - p))) for r, p in zip(results, paths, strict=True))
        row.torch, row.check = t_torch, row.check + f", vs torch.optim {tdiff:.1e}"
    return row


def basin_map(repeat: int, n: int = 200, steps: int = 500, lr: float = 0.01, naive_starts: int = 100) -> Row:
    surface = make_surface("himmelblau")
    (xlo, xhi), (ylo, yhi) = surface.domain
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, n), np.linspace(ylo, yhi, n))
    starts = np.stack([gx.ravel(), gy.ravel()], axis=-1)
    opt = make_optimizer("gd", {"lr": lr})
    t_engine, result = timed(lambda: run_batch(surface.grad, surface.value, opt, starts, steps, lr), repeat)
    pick = np.linspace(0, len(starts) - 1, naive_starts).astype(int)
    scale = len(starts) / naive_starts
    t_sub, finals = timed(lambda: naive_batch(surface, opt, starts[pick], steps), 1, warmup=0)
    alive = result.diverged_at[pick] < 0
    diff = float(np.max(np.abs(result.final[pick][alive] - finals[alive]))) if alive.any() else 0.0
    row = Row(f"basin map (himmelblau, {n}×{n} = {n * n:,} starts × {steps} steps GD, run_batch)", t_engine,
              t_sub * scale, f"{naive_starts} starts timed, ×{scale:.0f}",
              check=f"max |Δfinal| vs naive {diff:.1e}")
    if torch is not None:
        def torch_batch():
            p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
            sgd = torch.optim.SGD([p], lr=lr)
            for _ in range(steps):
                sgd.zero_grad()
                himmelblau_t(p).sum().backward()  # starts are independent: ∇ of the sum is each start's ∇
                sgd.step()
            return p.detach().numpy()

        t_torch, final = timed(torch_batch, max(1, repeat // 2))
        ok = result.diverged_at < 0
        tdiff = float(np.nanmax(np.abs(result.final[ok] - final[ok])))
        row.torch, row.torch_note = t_torch, "one (N, 2) tensor"
        row.check += f", vs torch.optim {tdiff:.1e}"
    return row


def contour_grid(repeat: int, n: int = 501, naive_rows: int = 25) -> Row:
    surface = make_surface("himmelblau")
    t_engine, out = timed(lambda: grid(surface, n), repeat)
    rows = np.linspace(0, n - 1, naive_rows).astype(int)
    scale = n / naive_rows
    t_sub, z = timed(lambda: naive_grid(surface, out["x"], out["y"][rows]), 1, warmup=0)
    diff = float(np.max(np.abs(out["z"][rows] - z)))
    row = Row(f"contour grid {n}×{n} (himmelblau, engine.grid)", t_engine, t_sub * scale,
              f"{naive_rows} rows timed, ×{scale:.0f}", check=f"max |Δz| vs naive {diff:.1e}")
    if torch is not None:
        x = torch.tensor(out["x"], dtype=torch.float64)
        y = torch.tensor(out["y"], dtype=torch.float64)

        def torch_grid():
            gy, gx = torch.meshgrid(y, x, indexing="ij")
            return himmelblau_t(torch.stack([gx, gy], -1)).numpy()

        t_torch, zt = timed(torch_grid, repeat)
        row.torch, row.torch_note = t_torch, "tensor evaluation"
        row.check += f", vs torch {float(np.max(np.abs(out['z'] - zt))):.1e}"
    return row


def nn_plane(repeat: int, n: int = 41, hidden: tuple[int, ...] = (30, 30), points: int = 500) -> Row:
    """41×41 loss plane of an MLP with ~1 000 weights on 500 examples (issue 6's target workload)."""
    try:
        from engine.nn import MLP, filter_normalized_directions, make_dataset, plane_loss
    except ImportError as exc:
        return Row(f"NN plane ({n}×{n})", float("nan"), naive_note=f"skipped: engine.nn not importable ({exc})")
    data = make_dataset("moons", n=points, seed=0, noise=0.1)
    model = MLP(hidden=hidden, activation="tanh", loss="bce")
    center = model.init(seed=0)
    dirs = filter_normalized_directions(model, center, seed=0)
    alphas = np.linspace(-1.0, 1.0, n)
    t_engine, loss = timed(lambda: plane_loss(model, center, dirs, data.X, data.y, alphas, alphas), repeat)

    def naive():
        return np.array([[model.loss(center + a * dirs[0] + b * dirs[1], data.X, data.y) for a in alphas]
                         for b in alphas])

    t_naive, loss_naive = timed(naive, 1)
    diff = float(np.max(np.abs(loss - loss_naive)))
    row = Row(f"NN plane {n}×{n} (MLP {model.d:,} weights, {points} points, plane_loss)", t_engine, t_naive,
              "MLP.loss per weight vector", check=f"max |Δloss| vs naive {diff:.1e}")
    if torch is not None:
        X = torch.tensor(data.X, dtype=torch.float64)
        y = torch.tensor(data.y, dtype=torch.float64)
        A, Bm = np.meshgrid(alphas, alphas)
        W = torch.tensor(center + A.reshape(-1, 1) * dirs[0] + Bm.reshape(-1, 1) * dirs[1], dtype=torch.float64)

        rows_per_block = model._blocks(W.shape[0], X.shape[0])[0]  # the engine's blocking, for the same memory traffic

        def torch_block(Wb):
            act = X.expand(Wb.shape[0], *X.shape)
            for index, lay in enumerate(model.layers):
                Wl = Wb[:, lay.w_start:lay.b_start].reshape(-1, lay.n_out, lay.n_in)
                z = torch.baddbmm(Wb[:, lay.b_start:lay.end][:, None, :], act, Wl.transpose(1, 2))
                act = torch.tanh(z) if index < len(model.layers) - 1 else z
            f = act[..., 0]
            return torch.nn.functional.binary_cross_entropy_with_logits(
                f, y.expand_as(f), reduction="none").mean(-1)

        def torch_plane():
            with torch.no_grad():
                parts = [torch_block(W[i:i + rows_per_block]) for i in range(0, W.shape[0], rows_per_block)]
                return torch.cat(parts).reshape(A.shape).numpy()

        t_torch, loss_t = timed(torch_plane, repeat)
        row.torch, row.torch_note = t_torch, "batched bmm, same blocks"
        row.check += f", vs torch {float(np.max(np.abs(loss - loss_t))):.1e}"
    return row


def rows(quick: bool = False) -> list[Row]:
    repeat = 3 if quick else 7
    return [default_scene(repeat), basin_map(max(1, repeat // 2)), contour_grid(repeat), nn_plane(max(1, repeat // 2))]


if __name__ == "__main__":
    for r in rows(quick=True):
        print(r)
