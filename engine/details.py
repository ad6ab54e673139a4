"""Per-step anatomy of a run, for teaching: why each step goes where it goes.

`run_details` replays one optimizer along a run it already made (same gradients, same noise,
same learning rates) and returns, for every kept update t (x_t → x_{t+1}):

- `grad`: the gradient the optimizer used (∇f(x_t) + σξ_t; weight decay not included)
- `gd_step`: −η_t·g, the step plain GD would take from x_t
- `update`: x_{t+1} − x_t, the step actually taken
- `momentum`: update − gd_step for the SGD family: what the velocity adds (heavy ball:
  −η μ b_{t−1}; torch's Nesterov: −η μ b_t); null for methods without a velocity
- `velocity`: the momentum buffer b_t after the update (heavy ball, Nesterov, RMSProp with
  momentum > 0); null for GD and momentum-free RMSProp, whose `buf` is only the step direction
- `effective_lr`: the per-coordinate step size the method applied, e.g. η/(√v̂ + ε) for Adam
  (multiplying m̂), η/(√r + ε) for RMSProp/AdaGrad (multiplying g), η for the SGD family
- `textbook_point` (Nesterov only): Bishop's iterate w_t = x_t + η μ b_{t−1}; torch's
  iterate x_t is Bishop's look-ahead point w_t + μΔw_{t−1}, where the gradient is taken
- `state`: every state array after the update (buf, m, v, square_avg, ...)
- `extras`: what the optimizer module itself declares through `Optimizer.explain` beyond the
  fields above (sign steps of Lion and Rprop, L-BFGS's line-search trial points, Schedule-Free's
  averaging weight, ...); a module's `effective_lr` / `velocity` from `explain` fill those fields,
  so a new optimizer needs no line here
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.optimizers import Optimizer
from engine.run import closure_for
from engine.surfaces import Surface

MAX_DETAIL_STEPS = 5000  # replay cost and response size stay bounded
SGD_FAMILY = ("gd", "momentum", "nesterov")


def _effective_lr(opt: Optimizer, state: Any, prev_state: Any, lr: float, dim: int) -> np.ndarray | None:
    """Per-coordinate step size of this update, from the state after it (and before, for Adadelta's u)."""
    hp = opt.hparams
    name = opt.name
    if name in SGD_FAMILY:
        return np.full(dim, lr)
    if name in ("adam", "adamw"):
        beta2 = hp["betas"][1]
        v = state.v_max if hp.get("amsgrad") else state.v
        v_hat = v / (1.0 - beta2**state.step)
        return lr / (np.sqrt(v_hat) + hp["eps"])
    if name == "rmsprop":
        avg = state.square_avg - (state.grad_avg**2 if hp["centered"] else 0.0)
        return lr / (np.sqrt(avg) + hp["eps"])
    if name == "adagrad":
        clr = lr / (1.0 + (state.step - 1) * hp["lr_decay"])
        return clr / (np.sqrt(state.sum) + hp["eps"])
    if name == "adadelta":
        return lr * np.sqrt(prev_state.acc_delta + hp["eps"]) / np.sqrt(state.square_avg + hp["eps"])
    return None


def _has_velocity(opt: Optimizer) -> bool:
    """GD and RMSProp without momentum keep a `buf` too (torch's step direction), but it is no velocity."""
    return opt.name in ("momentum", "nesterov") or (opt.name == "rmsprop" and np.any(opt.hparams["momentum"] != 0))


def run_details(surface: Surface, opt: Optimizer, path: np.ndarray, lrs: np.ndarray,
                noise: np.ndarray | None = None) -> dict[str, Any]:
    """Replay `opt` along `path` (k+1 points, k = len(lrs) updates) and decompose each step.

    Returns arrays with one row per update (shape (k, 2) for vectors). The replayed iterates
    equal `path` exactly (same arithmetic), so the arrows drawn from these numbers sit on the path.
    """
    path = np.asarray(path, dtype=float)
    steps = min(len(lrs), MAX_DETAIL_STEPS)
    if len(path) == 0:  # the start itself was invalid (e.g. norm > 1e6): no updates to describe
        return {**dict.fromkeys(("grad", "gd_step", "update", "momentum", "velocity", "effective_lr",
                                 "textbook_point")), "state": {}, "extras": {}, "steps": 0}
    dim = path.shape[-1]
    out: dict[str, list] = {key: [] for key in ("grad", "gd_step", "update", "momentum", "velocity",
                                                "effective_lr", "textbook_point")}
    states: dict[str, list] = {}
    extras: dict[str, list] = {}
    state = opt.init(path[0])
    x = path[0]
    with np.errstate(all="ignore"):
        for t in range(steps):
            g = surface.grad(x) + (noise[t] if noise is not None else 0.0)
            extra = {"hessian": surface.hessian(x)} if opt.needs_hessian else {}
            if opt.needs_closure:
                extra["closure"] = closure_for(surface.value, surface.grad, None if noise is None else noise[t])
            prev_buf = getattr(state, "buf", None)
            new_x, new_state = opt.update(g, state, x, lrs[t], **extra)
            own = dict(opt.explain(g, state, new_state, x, lrs[t])) if opt.explain else {}
            gd_step = -lrs[t] * g
            update = new_x - x
            out["grad"].append(g)
            out["gd_step"].append(gd_step)
            out["update"].append(update)
            out["momentum"].append(update - gd_step if opt.name in SGD_FAMILY and opt.name != "gd" else None)
            out["velocity"].append(own.pop("velocity") if "velocity" in own else
                                   new_state.buf if _has_velocity(opt) else None)
            out["effective_lr"].append(own.pop("effective_lr") if "effective_lr" in own else
                                       _effective_lr(opt, new_state, state, lrs[t], dim))
            for key, value in own.items():
                extras.setdefault(key, []).append(value)
            out["textbook_point"].append(
                x + lrs[t] * opt.hparams["momentum"] * prev_buf if opt.name == "nesterov" else None)
            for key, value in new_state._asdict().items():
                if key != "step" and isinstance(value, np.ndarray) and value.shape == np.shape(x):
                    states.setdefault(key, []).append(value)
            state, x = new_state, path[t + 1]
    result: dict[str, Any] = {key: (None if not rows or rows[0] is None else np.array(rows))
                              for key, rows in out.items()}
    result["state"] = {key: np.array(rows) for key, rows in states.items()}
    result["extras"] = {key: _rows(rows) for key, rows in extras.items()}
    result["steps"] = steps
    return result



def _rows(rows: list) -> Any:
    """One row per update: an array when the rows share a shape, else a list (L-BFGS's trial points
    vary in number per update)."""
    try:
        return np.array(rows, dtype=float)
    except ValueError:
        return [np.asarray(r, dtype=float) for r in rows]
