"""engine.nn.kernel: the compiled layers and tanh equal their numpy twins bit for bit (the order is
the definition, numba only runs it faster), rows never see each other, and tanh is within 2 ulp."""

from __future__ import annotations

import mpmath  # sympy's dependency: tanh to 113 bits
import numpy as np
import pytest

from engine.nn import kernel
from engine.nn.mlp import MLP

pytestmark = pytest.mark.skipif(kernel._forward_jit is None, reason="numba kernels off")


def _numpy_twins(monkeypatch):
    for name in ("_forward_jit", "_backward_jit", "_tanh_jit"):
        monkeypatch.setattr(kernel, name, None)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("N", [1, 7, 8, 13, 60])
def test_compiled_layers_equal_the_numpy_order(monkeypatch, activation, N):
    model = MLP((5, 3), activation, "bce")
    rng = np.random.default_rng(N)
    W = rng.normal(0, 1.5, (4, model.d))
    X = rng.normal(0, 2, (N, 2))
    y = (rng.random(N) > 0.5).astype(float)
    compiled = model.loss_and_grad(W, X, y)
    outputs = model.outputs(W, X)
    _numpy_twins(monkeypatch)
    twin = model.loss_and_grad(W, X, y)
    assert compiled[0].tobytes() == twin[0].tobytes()
    assert compiled[1].tobytes() == twin[1].tobytes()
    assert outputs.tobytes() == model.outputs(W, X).tobytes()


def test_a_row_is_the_same_alone_or_in_any_batch():
    model = MLP((8, 8), "tanh", "bce")
    rng = np.random.default_rng(3)
    W = rng.normal(0, 1, (9, model.d))
    X, y = rng.normal(0, 1, (37, 2)), (rng.random(37) > 0.5).astype(float)
    loss, grad = model.loss_and_grad(W, X, y)
    for b in (0, 4, 8):
        alone = model.loss_and_grad(W[b], X, y)
        assert alone[0] == loss[b] and alone[1].tobytes() == grad[b].tobytes()
        pair = model.loss_and_grad(W[[b, (b + 1) % 9]], X, y)
        assert pair[1][0].tobytes() == grad[b].tobytes()


def test_tanh_equals_its_numpy_twin_and_keeps_ieee_special_values():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 4, 5000), 10.0 ** rng.uniform(-320, 2, 2000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 2.0 ** -28, 19.0625, -19.0624, 5e-324]])
    z = np.concatenate([z, -z])
    out = kernel.tanh(z)
    assert out.tobytes() == kernel._tanh_numpy(z).tobytes()
    np.testing.assert_array_equal(kernel.tanh(np.array([0.0, -0.0, np.inf, -np.inf])), [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(kernel.tanh(np.array([-0.0])))[0]
    assert np.isnan(kernel.tanh(np.array([np.nan])))[0]
    assert kernel.tanh(np.array([1e-12]))[0] == 1e-12  # tanh(a) rounds to a below 2^-28
    grid = rng.normal(0, 3, (3, 4, 5))
    view = np.swapaxes(grid, 1, 2)
    assert kernel.tanh(view).tobytes() == np.swapaxes(kernel.tanh(grid), 1, 2).tobytes()


def test_tanh_is_within_two_ulp_of_the_correctly_rounded_value():
    mpmath.mp.prec = 113
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.uniform(-1, 1, 3000) * 10.0 ** rng.uniform(-10, 1.3, 3000),
                        np.linspace(-20, 20, 801)])
    exact = np.array([float(mpmath.tanh(mpmath.mpf(float(v)))) for v in z])
    ulps = np.abs(kernel.tanh(z) - exact) / np.spacing(np.abs(exact))
    assert ulps.max() <= 2.0
    assert np.mean(ulps == 0) > 0.6
