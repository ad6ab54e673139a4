"""L-BFGS, exactly as torch.optim.LBFGS: one update = one `.step(closure)` (several evaluations).

Each start keeps its own history and line search (data-dependent branches), so rows of a batch
are stepped one by one; each row's arithmetic is the same whatever the batch, and the number of
rows per update is bounded (`MAX_ROWS`) because the cost is per row in Python.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from engine.optimizers.base import MAX_CLOSURE_EVALS, Optimizer, OptimizerInfo, lr_param
from engine.params import Param

MAX_TRIALS_KEPT = 64  # line-search trial points kept per update for the step-through


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a·b: summed coordinate by coordinate for small d (no BLAS kernel chosen by the machine), BLAS beyond."""
    if a.shape[-1] > 8:
        return float(np.dot(a, b))
    total = a[0] * b[0]
    for k in range(1, a.shape[-1]):
        total = total + a[k] * b[k]
    return float(total)


class LBFGSState(NamedTuple):
    step: int
    rows: tuple[dict[str, Any], ...] | None  # torch's per-parameter state, one dict per start


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch.optim.lbfgs._cubic_interpolate: the minimizer of the cubic through two points (IEEE float64
    throughout, so coincident points give inf/nan, never a ZeroDivisionError)."""
    x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch.optim.lbfgs._strong_wolfe, line for line (bracketing, then zoom by cubic interpolation)."""
    d_norm = float(np.max(np.abs(d)))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(_dot(g_new, d))
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(_dot(g_new, d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(_dot(g_new, d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _direction(g, old_dirs, old_stps, ro, H_diag) -> np.ndarray:
    """d = −H̃ g by torch's two-loop recursion (q ← q − α_i y_i backwards, r ← r + (α_i − β_i) s_i forwards).
    For small d in plain Python floats (the same IEEE operations in the same order, ~30× faster than
    numpy's per-call overhead on 2-vectors); numpy beyond."""
    num_old = len(old_dirs)
    al = [0.0] * num_old
    if g.shape[-1] > 8:
        q = -g
        for i in range(num_old - 1, -1, -1):
            al[i] = float(np.dot(old_stps[i], q)) * ro[i]
            q = q + (-al[i]) * old_dirs[i]
        r = q * H_diag
        for i in range(num_old):
            be_i = float(np.dot(old_dirs[i], r)) * ro[i]
            r = r + (al[i] - be_i) * old_stps[i]
        return r
    ys = [y.tolist() for y in old_dirs]
    ss = [s.tolist() for s in old_stps]
    q = (-g).tolist()
    n = len(q)
    for i in range(num_old - 1, -1, -1):
        s_i, y_i = ss[i], ys[i]
        dot = s_i[0] * q[0]
        for k in range(1, n):
            dot = dot + s_i[k] * q[k]
        al[i] = a = dot * ro[i]
        q = [q[k] + (-a) * y_i[k] for k in range(n)]
    h = float(H_diag)
    r = [v * h for v in q]
    for i in range(num_old):
        s_i, y_i = ss[i], ys[i]
        dot = y_i[0] * r[0]
        for k in range(1, n):
            dot = dot + y_i[k] * r[k]
        c = al[i] - dot * ro[i]
        r = [r[k] + c * s_i[k] for k in range(n)]
    return np.array(r)


def _fresh_row() -> dict[str, Any]:
    return {"func_evals": 0, "n_iter": 0, "d": None, "t": None, "old_dirs": [], "old_stps": [], "ro": [],
            "H_diag": 1.0, "prev_flat_grad": None, "prev_loss": None, "trials": []}


def _step(row, x, loss, g, closure, lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
          strong_wolfe):
    """One torch LBFGS.step(closure) for one start; `loss`, `g` are the closure's first evaluation at x."""
    row = {**row, "old_dirs": list(row["old_dirs"]), "old_stps": list(row["old_stps"]), "ro": list(row["ro"])}
    trials = [x]
    current_evals = 1
    row["func_evals"] += 1
    if np.max(np.abs(g)) <= tolerance_grad:
        row["trials"] = trials
        return x, row
    d, t = row["d"], row["t"]
    old_dirs, old_stps, ro, H_diag = row["old_dirs"], row["old_stps"], row["ro"], row["H_diag"]
    prev_flat_grad, prev_loss = row["prev_flat_grad"], row["prev_loss"]
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        row["n_iter"] += 1
        if row["n_iter"] == 1:
            d = -g
            old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
        else:
            y = g - prev_flat_grad
            s = d * t
            ys = float(_dot(y, s))
            if ys > 1e-10:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = ys / float(_dot(y, y))
            d = _direction(g, old_dirs, old_stps, ro, H_diag)
        prev_flat_grad = g.copy()
        prev_loss = loss
        t = min(1.0, 1.0 / float(np.sum(np.abs(g)))) * lr if row["n_iter"] == 1 else lr
        gtd = float(_dot(g, d))
        if gtd > -tolerance_change:
            break
        ls_func_evals = 0
        if strong_wolfe:
            def obj_func(x0, step, direction):
                point = x0 + step * direction
                trials.append(point)
                value, grad = closure(point)
                return float(value), np.asarray(grad, dtype=float)

            loss, g, t, ls_func_evals = _strong_wolfe(obj_func, x, t, d, loss, g, gtd,
                                                      max_ls=max_eval - current_evals)
            x = x + t * d
            opt_cond = np.max(np.abs(g)) <= tolerance_grad
        else:
            x = x + t * d
            if n_iter != max_iter:
                trials.append(x)
                value, grad = closure(x)
                loss, g = float(value), np.asarray(grad, dtype=float)
                opt_cond = np.max(np.abs(g)) <= tolerance_grad
                ls_func_evals = 1
        current_evals += ls_func_evals
        row["func_evals"] += ls_func_evals
        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if np.max(np.abs(d * t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            break
    row.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag, prev_flat_grad=prev_flat_grad,
               prev_loss=prev_loss, trials=trials[:MAX_TRIALS_KEPT])
    return x, row


def lbfgs(lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100,
          line_search_fn="none") -> Optimizer:
    """L-BFGS, torch.optim.LBFGS(lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
    line_search_fn); one update is one `.step(closure)`, which may evaluate f and ∇f many times.

    Inside one update, up to max_iter iterations (and max_eval evaluations, default max_iter·5/4):
        stop at once if max|g| ≤ tolerance_grad
        d = −H̃ g by the two-loop recursion over the last history_size pairs (s, y) with y·s > 1e-10,
            H̃₀ = (y·s)/(y·y) of the newest pair (d = −g on the very first iteration)
        t = min(1, 1/‖g‖₁)·η on the very first iteration, else η
        line_search_fn "none": x ← x + t d, then re-evaluate; "strong_wolfe": t from torch's
            strong-Wolfe search (c₁ = 1e-4, c₂ = 0.9, cubic interpolation), x ← x + t d
        stop when g·d > −tolerance_change, when max|t d| ≤ tolerance_change or |Δf| < tolerance_change
    Defaults: η = 1, max_iter = 20, max_eval = 25, tolerance_grad = 1e-7, tolerance_change = 1e-9,
    history_size = 100, line_search_fn = none (torch's None).
    `update(grads, state, params, lr, closure=fn)` with fn(x) → (f(x), ∇f(x)); `grads` must be ∇f at x
    (torch's first closure call). The run's `func_evals` (aux) is torch's state['func_evals'].
    Traps: the path has one point per *step*, each of up to 20 inner iterations, so L-BFGS "converges in
    3 steps" while spending dozens of evaluations; without a line search η = 1 can overshoot badly.
    """
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    strong_wolfe = line_search_fn == "strong_wolfe"

    def init(params):
        return LBFGSState(0, None)

    def update(grads, state, params, lr, closure=None):
        if closure is None:
            raise ValueError("optimizer 'lbfgs': update needs closure=fn with fn(x) -> (f(x), grad f(x))")
        params = np.asarray(params, dtype=float)
        grads = np.asarray(grads, dtype=float)
        # float hyperparameters may be arrays (..., 1) like lr (phase grids): one value per row
        per_row = [np.asarray(v, dtype=float) for v in (lr, tolerance_grad, tolerance_change)]
        shape = np.broadcast_shapes(params.shape, grads.shape, *(a.shape[:-1] + (1,) for a in per_row if a.ndim))
        lead = shape[:-1]
        n = int(np.prod(lead)) if lead else 1
        if n * (state.step + 1) * max_eval > MAX_CLOSURE_EVALS:
            raise ValueError(f"optimizer 'lbfgs' steps each start on its own: starts × steps × max_eval must stay "
                             f"≤ {MAX_CLOSURE_EVALS}, got {n} × {state.step + 1} × {max_eval}; use fewer starts "
                             "or steps")
        xs = np.broadcast_to(params, shape).reshape(n, shape[-1])
        gs = np.broadcast_to(grads, shape).reshape(n, shape[-1])
        lrs, tol_grads, tol_changes = (np.broadcast_to(a if a.ndim == 0 else a[..., 0], lead).reshape(n)
                                       for a in per_row)
        rows = state.rows if state.rows is not None else tuple(_fresh_row() for _ in range(n))
        out = np.empty((n, shape[-1]))
        new_rows = []
        with np.errstate(all="ignore"):
            for i in range(n):  # per start: its own history and line search
                x = xs[i].copy()
                loss = float(closure(x)[0])
                out[i], row = _step(rows[i], x, loss, gs[i].copy(), closure, float(lrs[i]), max_iter, max_eval,
                                    float(tol_grads[i]), float(tol_changes[i]), history_size, strong_wolfe)
                new_rows.append(row)
        return out.reshape(shape), LBFGSState(state.step + 1, tuple(new_rows))

    def aux(state, params):
        lead = np.shape(params)[:-1]
        if state.rows is None:
            return {"func_evals": np.zeros(lead)}
        return {"func_evals": np.array([r["func_evals"] for r in state.rows], dtype=float).reshape(lead)}

    def explain(grads, prev, new, params, lr):
        if new.rows is None or len(new.rows) != 1:
            return {}
        row = new.rows[0]
        before = prev.rows[0]["func_evals"] if prev.rows else 0
        return {"trial_points": np.array(row["trials"]), "evals": float(row["func_evals"] - before)}

    hparams = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
               "tolerance_change": tolerance_change, "history_size": history_size, "line_search_fn": line_search_fn}
    return Optimizer(init, update, "lbfgs", hparams, needs_closure=True, aux=aux, explain=explain,
                     evals_per_step=max_eval)


INFOS = (
    OptimizerInfo(
        "lbfgs", lbfgs,
        (lr_param(1.0),
         Param("max_iter", 20, 1, 100, "inner iterations per step", kind="int"),
         Param("max_eval", None, 1, 1000, "function evaluations per step (default max_iter·5/4)", kind="int"),
         Param("tolerance_grad", 1e-7, 0.0, 1.0, "stop when max|g| ≤ this", log=True),
         Param("tolerance_change", 1e-9, 0.0, 1.0, "stop when the step or the change in f is below this", log=True),
         Param("history_size", 100, 1, 100, "pairs (s, y) kept for the inverse-Hessian estimate", kind="int"),
         Param("line_search_fn", "none", kind="choice", choices=("none", "strong_wolfe"),
               description="none: fixed step t = η; strong_wolfe: torch's strong-Wolfe line search")),
        r"d_k = -\tilde H_k g_k\ \text{(two-loop recursion over the last } m \text{ pairs } (s_i, y_i)),\quad "
        r"x_{k+1} = x_k + t_k d_k\quad (\le \text{max\_iter inner iterations per step})",
        "torch.optim.LBFGS(lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size, line_search_fn)",
        "L-BFGS", demo={"lr": 0.1, "max_iter": 4}),
)
