"""Optional compiled fast path of `engine.stepping`: one fused loop per (surface, optimizer) pair.

Two tables say what is covered, keyed by surface class and optimizer name: a surface row gives its
compiled gradient and how to read its parameters, an optimizer row its compiled step and how to
lay out its hyperparameters, per-update constants and state. A pair missing from either table
(a new optimizer module, a custom formula, a surface with transcendental functions, an optimizer
with `aux`, a closure or a Hessian) simply steps through numpy: adding a kernel is adding a row.
The kernels give the numpy path's numbers bit for bit (tests/engine/test_run_kernels.py); as a
guard, a surface kernel is used only if it reproduces `surface.grad` exactly at probe points.

On by default; `set_enabled(False)` turns the fast path off (the app does so from its settings,
LOSSLAB_KERNELS=0: the engine reads no environment). Without numba it is off.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from typing import Any, NamedTuple

import numpy as np

from engine import compiled as switch  # the on/off flag (engine/compiled.py)
from engine.surfaces.beale import Beale
from engine.surfaces.himmelblau import Himmelblau
from engine.surfaces.least_squares import LeastSquares
from engine.surfaces.monkey_saddle import MonkeySaddle
from engine.surfaces.quadratic import Quadratic
from engine.surfaces.rosenbrock import Rosenbrock
from engine.surfaces.saddle import Saddle
from engine.surfaces.six_hump_camel import SixHumpCamel

log = logging.getLogger("losslab.kernels")
PROBES = np.array([[0.3, -1.7], [2.5, 0.9], [-3.25, 4.125], [-1e3, 7.0], [0.0, -0.0]])


class SurfaceKernel(NamedTuple):
    grad: str  # name of the compiled gradient in engine.kernels.compiled
    params: Any  # surface -> sequence of floats the gradient reads


class OptimizerKernel(NamedTuple):
    step: str  # name of the compiled step in engine.kernels.compiled
    hyper: Any  # hparams -> sequence of hyperparameters (scalars or (N, 1) arrays)
    slots: int  # state arrays of shape (d,) per row
    init: Any = None  # (hparams, state (R, slots, d)) -> None: non-zero initial state
    constants: Any = None  # (hparams, steps) -> (steps, j) per-update constants, or None to decline


def _adam_constants(hparams, steps):
    beta1, beta2 = hparams["betas"]
    if np.ndim(beta1) or np.ndim(beta2):
        return None  # per-start betas (a phase axis): numpy path
    return _bias_corrections(type(beta1), beta1, type(beta2), beta2, steps).copy()


@functools.lru_cache(maxsize=64)
def _bias_corrections(type1, beta1, type2, beta2, steps):
    """(1 − β₁ᵗ, (1 − β₂ᵗ)^½) for t = 1..steps, by the very expressions (and number types) of adam.py."""
    out = np.empty((steps, 2))
    for t in range(1, steps + 1):
        out[t - 1] = 1.0 - beta1**t, (1.0 - beta2**t) ** 0.5
    return out


SURFACES: dict[type, SurfaceKernel] = {
    Quadratic: SurfaceKernel("grad_quadratic", lambda s: s._matrix()),
    Saddle: SurfaceKernel("grad_saddle", lambda s: (s.p["a"], s.p["b"])),
    MonkeySaddle: SurfaceKernel("grad_monkey_saddle", lambda s: ()),
    Rosenbrock: SurfaceKernel("grad_rosenbrock", lambda s: (s.p["a"], s.p["b"])),
    Himmelblau: SurfaceKernel("grad_himmelblau", lambda s: ()),
    Beale: SurfaceKernel("grad_beale", lambda s: ()),
    SixHumpCamel: SurfaceKernel("grad_six_hump_camel", lambda s: ()),
    LeastSquares: SurfaceKernel("grad_least_squares",
                                lambda s: (*s.w_star, s.H[0, 0], s.H[0, 1], s.H[1, 1])),
}

OPTIMIZERS: dict[str, OptimizerKernel] = {
    "gd": OptimizerKernel("step_gd", lambda h: (h["weight_decay"],), 0),
    "momentum": OptimizerKernel("step_momentum", lambda h: (h["momentum"], h["dampening"], h["weight_decay"]), 1),
    "nesterov": OptimizerKernel("step_nesterov", lambda h: (h["momentum"], 0.0, h["weight_decay"]), 1),
    "adam": OptimizerKernel("step_adam", lambda h: (*h["betas"], h["eps"], h["weight_decay"], 0.0, h["amsgrad"]),
                            3, constants=_adam_constants),
    "adamw": OptimizerKernel("step_adam", lambda h: (*h["betas"], h["eps"], 0.0, h["weight_decay"], h["amsgrad"]),
                             3, constants=_adam_constants),
    "rmsprop": OptimizerKernel("step_rmsprop",
                               lambda h: (h["alpha"], h["eps"], h["momentum"], h["weight_decay"], h["centered"]), 3),
    "adagrad": OptimizerKernel("step_adagrad", lambda h: (h["lr_decay"], h["eps"], h["weight_decay"]), 1,
                               init=lambda h, s: s.__setitem__((slice(None), 0), 0.0 + np.asarray(
                                   h["initial_accumulator_value"], dtype=float).reshape(-1, 1))),
    "adadelta": OptimizerKernel("step_adadelta", lambda h: (h["rho"], h["eps"], h["weight_decay"]), 2),
}




def set_enabled(flag: bool) -> None:
    """Turn the compiled fast path on or off for this process (numbers are the same either way)."""
    switch.allow(flag)
    _COVERED.clear()
    with _PLANS_LOCK:
        _PLANS.clear()


def enabled() -> bool:
    return switch.allowed() and _compiled() is not None


def warm() -> bool:
    """Load every kernel now (numba's on-disk cache: about 1.6 s of CPU once per process, or a full
    compile the first time) instead of in the first run that needs one; whether the fast path is on."""
    if not enabled():
        return False
    for kern in SURFACES.values():
        _address(kern.grad, "GRAD_SIG")
    for kern in OPTIMIZERS.values():
        _address(kern.step, "STEP_SIG")
    return True


@functools.cache
def _compiled():
    """The compiled module (imported, i.e. compiled or loaded from cache, on first use), or None."""
    try:
        from engine.kernels import compiled
    except Exception as exc:  # no numba, or it cannot compile here: the numpy path serves
        log.warning("compiled kernels unavailable, numpy path only: %s", exc)
        return None
    return compiled


class FastRun:
    """One member's compiled state: `advance` runs its rows n updates in one call."""

    def __init__(self, grad, step, sp, S, H, K, L, xi) -> None:
        self.grad, self.step, self.sp, self.S, self.H, self.K, self.L, self.xi = grad, step, sp, S, H, K, L, xi

    def advance(self, x, g, t0, n, points, grads) -> None:
        loop = _loop() if _c_layout(x, g) and _f8(points, grads) else _compiled().advance
        loop(self.grad, self.step, self.sp, x, g, self.S, self.H, self.K, self.L, self.xi, t0, n, points, grads)


def _c_layout(*arrays: np.ndarray) -> bool:
    return all(a.dtype == np.float64 and a.ndim == 2 and a.flags.c_contiguous for a in arrays)


def _f8(*arrays: np.ndarray) -> bool:
    return all(a.dtype == np.float64 and a.ndim == 3 for a in arrays)


@functools.cache
def _loop():
    """The compiled loop's entry point for its one signature. Calling the dispatcher instead types
    every argument on every call (~60 µs, the first-class functions above all: more than 500 steps
    of the loop itself); the caller checks what the signature assumes (float64, ndim, C layout of
    x and g; the runner's own arrays are made so by `_array`)."""
    dispatcher = _compiled().advance
    try:
        return dispatcher.overloads[_compiled().LOOP_SIG.args].entry_point
    except (AttributeError, KeyError):  # another numba: the dispatcher (same numbers, slower)
        return dispatcher


def _plan(problem, optimizer, n_rows: int, steps: int, probe: bool = True):
    """(surface row, optimizer row, surface params, H, K) when this pair steps compiled, else None.
    `probe=False` leaves out the gradient probe (which needs the kernels loaded)."""
    surf = SURFACES.get(type(problem))
    kern = OPTIMIZERS.get(optimizer.name)
    if (surf is None or kern is None or optimizer.needs_hessian or optimizer.needs_closure or optimizer.aux
            or not (enabled() if probe else switch.allowed())):
        return None
    try:
        sp = np.ascontiguousarray(np.array(surf.params(problem), dtype=float).reshape(-1))
        H = _hyper(kern.hyper(optimizer.hparams), n_rows)
        K = kern.constants(optimizer.hparams, steps) if kern.constants else np.zeros((steps, 0))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    if H is None or K is None or (probe and not _same_gradient(problem, getattr(_compiled(), surf.grad), sp)):
        return None
    return surf, kern, sp, H, K


def fast_runner(problem, optimizer, rows: np.ndarray, lrs: np.ndarray, xi: np.ndarray | None) -> FastRun | None:
    """A compiled runner for these rows (R, 2) of this (surface, optimizer) pair, or None (numpy path)."""
    if rows.ndim != 2 or rows.shape[1] != 2:
        return None
    plan = _run_plan(problem, optimizer, len(rows), lrs.shape[-1])
    if plan is None:
        return None
    surf, kern, sp, H, K = plan
    grad, step = _address(surf.grad, "GRAD_SIG"), _address(kern.step, "STEP_SIG")
    S = np.zeros((len(rows), kern.slots, 2))
    if kern.init:
        kern.init(optimizer.hparams, S)
    L = _array(lrs[None] if lrs.ndim == 1 else lrs)
    noise = np.zeros((0, 2)) if xi is None else _array(xi)
    return FastRun(grad, step, sp, S, H, _array(K), L, noise)


def _run_plan(problem, optimizer, n_rows: int, steps: int):
    """`_plan` of a one-start run, kept per (surface object, optimizer object, steps): the app shares
    one object per distinct surface and optimizer between requests, so a slider's runs skip laying
    out the parameters, hyperparameters and Adam's bias corrections (the kernels only read sp, H
    and K). Batches (many rows, maybe per-row hyperparameters) are planned every time."""
    if n_rows != 1 or not enabled():
        return _plan(problem, optimizer, n_rows, steps)
    key = (id(problem), id(optimizer), steps)
    with _PLANS_LOCK:
        hit = _PLANS.get(key)
    if hit is not None and hit[0] is problem and hit[1] is optimizer:  # the entry holds both: ids stay theirs
        return hit[2]
    plan = _plan(problem, optimizer, n_rows, steps)
    with _PLANS_LOCK:
        _PLANS[key] = (problem, optimizer, plan)
        while len(_PLANS) > 256:
            _PLANS.pop(next(iter(_PLANS)))
    return plan


_PLANS: dict[tuple, tuple] = {}  # (id(surface), id(optimizer), steps) -> (surface, optimizer, plan or None)
_PLANS_LOCK = threading.Lock()


def ready() -> bool:
    """Whether the kernels are loaded (never loads them: callable on an event loop)."""
    return switch.allowed() and _compiled.cache_info().currsize > 0 and _compiled() is not None


def _loadable() -> bool:
    """Whether the kernels are, or will be once loaded, available (never loads them)."""
    if _compiled.cache_info().currsize > 0:
        return _compiled() is not None
    return importlib.util.find_spec("numba") is not None


def covers(problem, optimizer) -> bool:
    """Whether a run of this pair from one start steps compiled (the cost model prices it so).
    Never waits for the kernels to load: until they are, the gradient probe is left out (it fails
    only for a kernel that would disagree with numpy, a bug the engine's tests catch)."""
    if not (switch.allowed() and _loadable()):
        return False
    loaded = ready()
    try:
        key = (type(problem), tuple(sorted(problem.p.items())), optimizer.name,
               tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(optimizer.hparams.items())))
        hash(key)
    except (AttributeError, TypeError):  # parameters that are arrays: ask every time
        return _plan(problem, optimizer, 1, 1, probe=loaded) is not None
    if not loaded:
        return _plan(problem, optimizer, 1, 1, probe=False) is not None
    if key not in _COVERED:
        if len(_COVERED) > 4096:
            _COVERED.clear()
        _COVERED[key] = _plan(problem, optimizer, 1, 1) is not None
    return _COVERED[key]


_COVERED: dict[tuple, bool] = {}  # (surface class, params, optimizer, hparams) -> verdict


def _array(a) -> np.ndarray:
    """C-contiguous, writeable float64 (the compiled signature's layout; numba types read-only arrays apart)."""
    return np.require(np.asarray(a, dtype=float), requirements=["C", "W"])


@functools.cache
def _address(name: str, signature: str):
    """The compiled function as a first-class function whose address is looked up once: handing
    numba the dispatcher itself costs a symbol lookup (~0.1–1 ms) on every call of the loop."""
    mod = _compiled()
    fn, sig = getattr(mod, name), getattr(mod, signature)
    try:
        from numba.experimental.function_type import _get_wrapper_address

        return _FunctionAddress(_get_wrapper_address(fn, sig), sig)
    except Exception:  # another numba: pass the dispatcher (slower per call, same numbers)
        return fn


def _function_address_class():
    from numba.core.types import WrapperAddressProtocol

    class FunctionAddress(WrapperAddressProtocol):
        def __init__(self, address: int, sig) -> None:
            self.address, self.sig = address, sig

        def __wrapper_address__(self) -> int:
            return self.address

        def signature(self):
            return self.sig

    return FunctionAddress


def _FunctionAddress(address, sig):
    return _function_address_class_cached()(address, sig)


@functools.cache
def _function_address_class_cached():
    return _function_address_class()


def _hyper(values, n: int) -> np.ndarray | None:
    """Hyperparameters as (1, m), or (n, m) when some are per-row (N, 1) arrays; None if another shape."""
    cols = [np.asarray(v, dtype=float) for v in values]
    if all(c.size == 1 for c in cols):
        return np.array([[float(c.reshape(-1)[0]) for c in cols]]).reshape(1, len(cols))
    out = np.empty((n, len(cols)))
    for j, c in enumerate(cols):
        if c.size != 1 and (c.ndim == 0 or c.shape[-1] != 1 or c.size != n):
            return None
        out[:, j] = c.reshape(-1) if c.size != 1 else float(c.reshape(-1)[0])
    return out


_PROBED: dict[tuple, bool] = {}  # (surface class, kernel, params) -> verdict


def _same_gradient(surface, grad, sp: np.ndarray) -> bool:
    """Whether the kernel reproduces surface.grad bit for bit at PROBES (cached per class and params)."""
    key = (type(surface), grad, sp.tobytes())
    if key not in _PROBED:
        with np.errstate(all="ignore"):
            expected = surface.grad(PROBES)
        got = np.array([grad(float(x), float(y), sp) for x, y in PROBES])
        if len(_PROBED) > 4096:
            _PROBED.clear()
        _PROBED[key] = np.array_equal(expected.view(np.int64), got.view(np.int64))
        if not _PROBED[key]:
            log.warning("kernel %s differs from %s.grad: numpy path", grad, type(surface).__name__)
    return _PROBED[key]
