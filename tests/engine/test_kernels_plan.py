"""engine.kernels keeps a one-start run's plan per (surface object, optimizer object, steps): repeated runs
on shared objects give the numpy path's numbers bit for bit, and turning the kernels off drops the plans."""

import numpy as np
import pytest

from engine import kernels
from engine.optimizers import make_optimizer
from engine.run import run_many
from engine.surfaces import make_surface

pytestmark = pytest.mark.skipif(not kernels.enabled(), reason="numba kernels unavailable")


def test_runs_on_shared_objects_reuse_the_plan_and_keep_the_numbers():
    surface = make_surface("quadratic", {"kappa": 50.0, "theta": 30.0})
    adam = make_optimizer("adam", {"lr": 0.3})
    twin = make_optimizer("adam", {"lr": 0.3})  # equal, another object: planned on its own
    reference = run_many(surface, [adam, twin], [-4.0, 2.0], 300, use_kernels=False)
    for _ in range(3):  # the first call plans, the next ones read the kept plan
        runs = run_many(surface, [adam, twin, adam], [-4.0, 2.0], 300)
        for got, want in zip(runs, [*reference, reference[0]], strict=True):
            assert np.array_equal(got.path.view(np.int64), want.path.view(np.int64))
    kept = [entry for entry in kernels._PLANS.values() if entry[0] is surface]
    assert {id(entry[1]) for entry in kept} == {id(adam), id(twin)}
    kernels.set_enabled(False)
    try:
        assert not kernels._PLANS
        assert kernels.fast_runner(surface, adam, np.zeros((1, 2)), np.full(300, 0.3), None) is None
    finally:
        kernels.set_enabled(True)
