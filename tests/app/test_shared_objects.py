"""Engine objects shared between requests (app/schemas/common.py `_Shared`): one Surface and one Optimizer
per distinct reference, told apart exactly (0.0 is not -0.0), and answers unchanged by the sharing."""

from __future__ import annotations

import math

from app.schemas.common import OPTIMIZER_ADAPTER
from app.schemas.runs import DEFAULT_SCENE, RunRequest
from engine.divergence import _view_range, view_range
from engine.surfaces.resolve import surface_from_ref


def surface_of(ref: dict):
    return RunRequest.model_validate({**DEFAULT_SCENE, "surface": ref}).surface.surface


def test_equal_references_share_one_surface_and_exact_keys_tell_signed_zeros_apart():
    ref = {"name": "quadratic", "params": {"kappa": 50, "theta": 0.0}}
    first, again = surface_of(ref), surface_of({"name": "quadratic", "params": {"kappa": 50.0, "theta": 0}})
    assert first is again  # 50 and 50.0 are the same parameter value
    negative = surface_of({"name": "quadratic", "params": {"kappa": 50, "theta": -0.0}})
    assert negative is not first
    # the off-diagonal entry (λmin − λmax)·cosθ·sinθ carries the sign of θ's zero
    assert math.copysign(1.0, first._matrix()[1]) == -1.0
    assert math.copysign(1.0, negative._matrix()[1]) == 1.0
    boxed = surface_of({**ref, "domain": {"x": [-2, 2], "y": [-1, 1]}})
    assert boxed is not first and boxed.domain == ((-2.0, 2.0), (-1.0, 1.0))
    assert first.domain == ((-5.0, 5.0), (-5.0, 5.0))


def test_the_view_range_kept_on_a_shared_surface_is_the_fresh_one():
    shared = surface_of({"name": "rosenbrock"})
    assert view_range(shared) == view_range(shared) == _view_range(surface_from_ref("rosenbrock"))


def test_equal_specs_share_one_optimizer_and_signed_zeros_are_kept():
    spec = {"name": "momentum", "lr": 0.01, "momentum": 0.9}
    one, two = OPTIMIZER_ADAPTER.validate_python(spec), OPTIMIZER_ADAPTER.validate_python(dict(spec))
    assert one is not two and one.optimizer is two.optimizer
    signed = OPTIMIZER_ADAPTER.validate_python({**spec, "weight_decay": -0.0})
    assert signed.optimizer is not one.optimizer
    assert math.copysign(1.0, signed.describe()["weight_decay"]) == -1.0
    assert OPTIMIZER_ADAPTER.validate_python({**spec, "label": "mine"}).describe()["label"] == "mine"


def test_a_repeated_run_gives_the_same_bytes(client):
    body = {**DEFAULT_SCENE, "steps": 500}
    first, second = (client.post("/api/run", json=body) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
