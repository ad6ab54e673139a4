"""Datasets: shapes, labels, determinism by seed, documented geometry, ValueError naming the parameter."""

import numpy as np
import pytest

from engine.nn.datasets import REGISTRY, describe, make_dataset

CLASSIFICATION = ["moons", "circles", "xor", "spirals", "blobs"]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_shapes_labels_and_balance(name):
    data = make_dataset(name, n=101, seed=3)
    assert data.X.shape == (101, 2) and data.y.shape == (101,)
    assert data.task == "classification" and data.name == name
    assert set(np.unique(data.y)) == {0.0, 1.0}
    assert np.all(np.isfinite(data.X))
    if name != "xor":  # xor labels come from the quadrant, the others are split ⌊n/2⌋ / ⌈n/2⌉
        assert int(np.sum(data.y == 0)) == 50 and int(np.sum(data.y == 1)) == 51


@pytest.mark.parametrize("name", [*CLASSIFICATION, "regression"])
def test_same_seed_same_bytes_other_seed_differs(name):
    a, b = make_dataset(name, n=64, seed=7), make_dataset(name, n=64, seed=7)
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()
    c = make_dataset(name, n=64, seed=8)
    assert not np.array_equal(a.X, c.X)


def test_noiseless_moons_lie_on_their_arcs():
    data = make_dataset("moons", n=40, seed=0, noise=0.0)
    outer, inner = data.X[data.y == 0], data.X[data.y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12) and np.all(inner[:, 1] <= 0.5 + 1e-12)


def test_noiseless_circles_have_radii_one_and_factor():
    data = make_dataset("circles", n=50, seed=1, noise=0.0, factor=0.3)
    radius = np.hypot(*data.X.T)
    np.testing.assert_allclose(radius[data.y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radius[data.y == 1], 0.3, atol=1e-12)


def test_noiseless_xor_labels_are_the_quadrants():
    data = make_dataset("xor", n=300, seed=2, noise=0.0)
    np.testing.assert_array_equal(data.y, (data.X[:, 0] * data.X[:, 1] > 0).astype(float))


def test_regression_has_requested_correlation_and_scale_ratio():
    data = make_dataset("regression", n=5000, seed=0, rho=0.8, scale_ratio=5.0, noise=0.0)
    assert data.task == "regression"
    assert np.corrcoef(data.X.T)[0, 1] == pytest.approx(0.8, abs=0.02)
    assert data.X[:, 1].std() / data.X[:, 0].std() == pytest.approx(5.0, rel=0.03)
    # noiseless targets are exactly linear in X with weights (1, −0.5/scale_ratio)
    np.testing.assert_allclose(data.y, data.X @ [1.0, -0.1], atol=1e-12)


def test_bounds_contain_every_point_with_padding():
    data = make_dataset("spirals", n=200, seed=0)
    (xlo, xhi), (ylo, yhi) = data.bounds(0.1)
    assert xlo < data.X[:, 0].min() and xhi > data.X[:, 0].max()
    assert ylo < data.X[:, 1].min() and yhi > data.X[:, 1].max()
    width = data.X[:, 0].max() - data.X[:, 0].min()
    assert data.X[:, 0].min() - xlo == pytest.approx(0.1 * width)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"n": 3}, "'n'"), ({"n": 5001}, "'n'"), ({"n": 10.5}, "'n'"), ({"seed": -1}, "'seed'"),
    ({"noise": -0.1}, "'noise'"), ({"noise": 3.0}, "'noise'"), ({"wobble": 1.0}, "wobble"),
])
def test_bad_parameters_raise_value_error_naming_them(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        make_dataset("moons", **kwargs)


def test_unknown_dataset_and_dataset_specific_ranges():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        make_dataset("mnist")
    with pytest.raises(ValueError, match="'rho'"):
        make_dataset("regression", rho=1.0)
    with pytest.raises(ValueError, match="'factor'"):
        make_dataset("circles", factor=0.0)
    with pytest.raises(ValueError, match="'std'"):
        make_dataset("blobs", std=0.0)


def test_registry_rows_describe_their_params():
    assert set(REGISTRY) == {*CLASSIFICATION, "regression"}
    info = describe(REGISTRY["regression"])
    names = [p["name"] for p in info["params"]]
    assert names == ["n", "seed", "rho", "scale_ratio", "noise"] and info["task"] == "regression"
    assert info["params"][0]["max"] == 5000
