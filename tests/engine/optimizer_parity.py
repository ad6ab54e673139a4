"""Parity of an optimizer module with its reference implementation (torch.optim, lion-pytorch,
schedulefree), shared by the per-optimizer tests `tests/engine/test_optim_<name>.py`.

Each such test module declares `CASES` (non-default hyperparameters on the two parity surfaces)
and `reference(lib, params, hp)`, which builds the reference optimizer (`lib.torch`,
`lib.lion_pytorch`, `lib.schedulefree`), optionally `reference_aux(opt, p)` for second lines.
`bench/torch_fixtures.py` records the reference trajectories as JSON under tests/fixtures/torch/,
so the comparison runs on machines without torch; where torch is importable it also runs live.

Both sides take the engine surface's analytic gradient at their own iterate, so only the update
rules are compared. Tolerance: the issue's relative error 1e-9 over 100 steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from engine.optimizers import make_optimizer
from engine.surfaces import make_surface

STEPS = 100
RTOL = 1e-9
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "torch"
# the rotated quadratic (κ = 50, θ = 30°) and Rosenbrock, with their starts
SURFACES = {
    "quadratic": ({"kappa": 50.0, "theta": 30.0}, [-4.0, 2.0]),
    "rosenbrock": ({}, [-1.2, 1.0]),
}


def _surface(key: str):
    params, start = SURFACES[key]
    return make_surface(key, params), np.array(start, dtype=float)


def engine_trajectory(name: str, case: dict[str, Any], steps: int = STEPS) -> dict[str, np.ndarray]:
    """The engine's path (and aux arrays) from the case's start, one update per step."""
    surf, x = _surface(case["surface"])
    opt = make_optimizer(name, case["hparams"])
    state = opt.init(x)
    path = [x]
    aux: dict[str, list] = {}

    def closure(point):
        return surf.value(point), surf.grad(point)

    def record(state, x):
        for key, value in (opt.aux(state, x) if opt.aux else {}).items():
            aux.setdefault(key, []).append(np.array(value, dtype=float))

    record(state, x)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            extra = {"closure": closure} if opt.needs_closure else {}
            x, state = opt.update(surf.grad(x), state, x, opt.hparams["lr"], **extra)
            path.append(x)
            record(state, x)
    return {"path": np.array(path), **{k: np.array(v) for k, v in aux.items()}}


def reference_trajectory(module, case: dict[str, Any], lib: SimpleNamespace, steps: int = STEPS) -> dict[str, Any]:
    """The reference's path from the same start, computed in float64 (default dtype float64 too:
    NAdam's mu_product and ASGD's eta are scalar tensors of the default dtype)."""
    torch = lib.torch
    old_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        surf, start = _surface(case["surface"])
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = module.reference(lib, [p], dict(case["hparams"]))
        if hasattr(opt, "train"):  # schedulefree: steps only in train mode
            opt.train()
        aux_fn = getattr(module, "reference_aux", None)
        path, aux = [start.tolist()], {}

        def record():
            for key, value in (aux_fn(opt, p, start) if aux_fn else {}).items():
                aux.setdefault(key, []).append(value)

        def closure():
            x = p.detach().numpy().copy()
            p.grad = torch.from_numpy(surf.grad(x))
            return torch.tensor(float(surf.value(x)))

        record()
        for _ in range(steps):
            if getattr(module, "REFERENCE_NEEDS_CLOSURE", False):
                opt.step(closure)
            else:
                closure()
                opt.step()
            path.append(p.detach().numpy().copy().tolist())
            record()
        return {"path": path, **aux}
    finally:
        torch.set_default_dtype(old_dtype)


def fixture_path(name: str) -> Path:
    return FIXTURES / f"{name}.json"


def assert_close(name: str, case: dict[str, Any], ours: dict[str, np.ndarray], theirs: dict[str, Any]) -> None:
    where = f"{name} {case['id']}"
    for key, ref in theirs.items():
        ref = np.array(ref, dtype=float)
        assert key in ours, f"{where}: the engine reports no '{key}'"
        assert ours[key].shape == ref.shape, f"{where} {key}: shape {ours[key].shape} != {ref.shape}"
        scale = np.maximum(np.abs(ref), 1.0)  # relative error, with |x| < 1 measured absolutely
        err = np.abs(ours[key] - ref) / scale
        assert np.all(np.isfinite(ref)), f"{where}: the reference diverged; pick a gentler case"
        worst = int(np.argmax(err.reshape(len(err), -1).max(axis=1)))
        assert err.max() <= RTOL, f"{where} {key}: relative error {err.max():.3g} at step {worst}"
    assert np.abs(ours["path"][-1] - ours["path"][0]).max() > 1e-3, f"{where}: the path barely moved"


def check_fixture(name: str, cases: list[dict[str, Any]]) -> None:
    """Every case against the recorded reference (regenerate with `python bench/torch_fixtures.py`)."""
    recorded = json.loads(fixture_path(name).read_text())
    by_id = {c["id"]: c for c in recorded["cases"]}
    assert sorted(by_id) == sorted(c["id"] for c in cases), f"{name}: fixture cases differ; rerun the bench script"
    for case in cases:
        rec = by_id[case["id"]]
        assert rec["hparams"] == case["hparams"] and rec["surface"] == case["surface"], \
            f"{name} {case['id']}: fixture recorded other settings; rerun bench/torch_fixtures.py"
        assert_close(name, case, engine_trajectory(name, case, recorded["steps"]), rec["reference"])


def reference_libs() -> SimpleNamespace:
    """torch plus the optional third-party references that are importable."""
    import importlib

    import torch

    libs = {"torch": torch}
    for extra in ("lion_pytorch", "schedulefree"):
        try:
            libs[extra] = importlib.import_module(extra)
        except ImportError:
            libs[extra] = None
    return SimpleNamespace(**libs)


def check_live(module_name: str, needs: str = "torch") -> None:
    """The test module's CASES against its reference, computed now (skipped without the library)."""
    import sys

    import pytest

    module = sys.modules[module_name]
    name, cases = module.NAME, module.CASES

    pytest.importorskip("torch")
    lib = reference_libs()
    if getattr(lib, needs) is None:
        pytest.skip(f"{needs} is not installed")
    for case in cases:
        assert_close(name, case, engine_trajectory(name, case), reference_trajectory(module, case, lib))
