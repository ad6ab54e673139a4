"""Planes: filter normalization, Hessian and PCA directions, the batched grid, honest projections."""

import numpy as np
import pytest

from engine.nn.datasets import make_dataset
from engine.nn.hessian import hvp, lanczos, top_eigenpairs
from engine.nn.mlp import MLP
from engine.nn.planes import (
    decision_grid,
    filter_normalized_directions,
    hessian_directions,
    make_plane,
    pca_directions,
    plane_loss,
    project,
)
from engine.nn.train import train

DATA = make_dataset("circles", n=80, seed=2, noise=0.05)
MODEL = MLP((4, 3), "tanh", "bce")
CENTER = MODEL.init(7, "xavier")


def assembled_hessian(model, w, X, y):
    return np.array([hvp(model, w, X, y, e) for e in np.eye(model.d)])


def test_filter_normalized_rows_have_their_neurons_norms_and_zero_biases():
    dirs = filter_normalized_directions(MODEL, CENTER, seed=3)
    assert dirs.shape == (2, MODEL.d)
    for (D, c), (Wc, _), lay in zip(MODEL.unpack(dirs), MODEL.unpack(CENTER[None]), MODEL.layers, strict=True):
        np.testing.assert_allclose(np.linalg.norm(D, axis=-1), np.broadcast_to(np.linalg.norm(Wc[0], axis=-1),
                                                                               (2, lay.n_out)), rtol=1e-13)
        assert not np.any(c)
    np.testing.assert_array_equal(filter_normalized_directions(MODEL, CENTER, seed=3), dirs)
    assert not np.array_equal(filter_normalized_directions(MODEL, CENTER, seed=4), dirs)


def test_hessian_directions_match_eigh_of_the_assembled_hessian():
    dirs, values = hessian_directions(MODEL, CENTER, DATA.X, DATA.y, iters=MODEL.d)
    lam, vec = np.linalg.eigh(assembled_hessian(MODEL, CENTER, DATA.X, DATA.y))
    np.testing.assert_allclose(values, lam[::-1][:2], rtol=1e-9)
    for k in range(2):
        assert abs(dirs[k] @ vec[:, -1 - k]) == pytest.approx(1.0, abs=1e-8)
    np.testing.assert_allclose(dirs @ dirs.T, np.eye(2), atol=1e-12)


def test_lanczos_is_exact_with_repeated_eigenvalues_and_breakdown():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    lam = np.array([5.0, 5.0, 3.0, 0.0, 0.0, 0.0, -1.0, -1.0, 2.0, 2.0, 2.0, 7.0])
    A = np.stack([(Q * lam) @ Q.T, np.diag(np.arange(12.0))])  # two operators in one batch
    values, vectors = lanczos(lambda V: np.einsum("bij,bj->bi", A, V), rng.normal(size=(2, 12)), iters=12)
    np.testing.assert_allclose(values[0], np.sort(lam), atol=1e-10)
    np.testing.assert_allclose(values[1], np.arange(12.0), atol=1e-10)
    residual = np.einsum("bij,bkj->bki", A, vectors) - values[..., None] * vectors
    assert np.abs(residual).max() < 1e-9


def test_top_eigenpairs_with_few_iterations_find_the_outlier():
    w = train(MODEL, DATA, [{"name": "gd", "lr": 1.0}], 50, init_seed=7, record_every=50).runs[0].weights[-1]
    values, _ = top_eigenpairs(MODEL, w, DATA.X, DATA.y, k=1, iters=15)
    top = np.linalg.eigvalsh(assembled_hessian(MODEL, w, DATA.X, DATA.y))[-1]
    assert values[0] == pytest.approx(top, rel=1e-6)


def test_pca_of_a_path_inside_a_plane_has_zero_residual_and_full_variance():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=(2, MODEL.d))
    t = np.linspace(0, 1, 30)
    path = CENTER + np.outer(3 * t, u) + np.outer(np.sin(4 * t), v)
    dirs, ratio = pca_directions(path)
    assert np.all((ratio >= 0) & (ratio <= 1)) and ratio.sum() == pytest.approx(1.0, abs=1e-12)
    assert ratio[0] >= ratio[1] > 0
    proj = project(path, path[-1], dirs)
    np.testing.assert_allclose(proj.residual, 0.0, atol=1e-12)
    assert proj.explained_variance == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(path[-1] + proj.coords @ dirs, path, atol=1e-12)


def test_pca_explained_variance_of_a_real_training_path():
    run = train(MODEL, DATA, [{"name": "momentum", "lr": 0.3}], 60, init_seed=7, record_every=2).runs[0]
    dirs, ratio = pca_directions([run.weights])
    assert np.all((ratio >= 0) & (ratio <= 1)) and ratio.sum() <= 1 + 1e-12
    proj = project(run.weights, run.weights[-1], dirs)
    assert proj.explained_variance == pytest.approx(ratio.sum(), rel=1e-10)  # same quantity, two routes
    assert np.all(proj.residual >= 0) and proj.residual[-1] == pytest.approx(0.0, abs=1e-12)


def test_projection_recovers_coordinates_for_non_orthogonal_directions():
    rng = np.random.default_rng(2)
    dirs = rng.normal(size=(2, MODEL.d))
    normal = rng.normal(size=MODEL.d)
    basis, _ = np.linalg.qr(dirs.T)
    normal -= basis @ (basis.T @ normal)
    normal /= np.linalg.norm(normal)
    coords = rng.normal(size=(5, 2))
    off = np.array([0.0, 1.0, 2.0, 0.5, 0.0])
    path = CENTER + coords @ dirs + off[:, None] * normal
    proj = project(path, CENTER, dirs)
    np.testing.assert_allclose(proj.coords, coords, atol=1e-12)
    np.testing.assert_allclose(proj.residual, off, atol=1e-12)
    assert 0.0 <= proj.explained_variance < 1.0


def test_plane_grid_is_one_batched_pass_in_plotly_orientation():
    dirs = filter_normalized_directions(MODEL, CENTER, 0)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)
    loss = plane_loss(MODEL, CENTER, dirs, DATA.X, DATA.y, alphas, betas)
    assert loss.shape == (4, 5)
    for i, j in [(0, 0), (3, 1), (2, 4)]:
        w = CENTER + alphas[j] * dirs[0] + betas[i] * dirs[1]
        assert loss[i, j] == pytest.approx(MODEL.loss(w, DATA.X, DATA.y), rel=1e-13)


@pytest.mark.parametrize("method", ["random", "hessian", "pca"])
def test_make_plane_with_projected_training_paths(method):
    result = train(MODEL, DATA, [{"name": "gd", "lr": 0.5}, {"name": "momentum", "lr": 0.2}], 40, init_seed=7,
                   record_every=5)
    paths = [r.weights for r in result.runs]
    center = paths[0][-1]
    plane, projections = make_plane(MODEL, DATA, center, method, n=9, span=None, seed=1, paths=paths)
    assert plane.loss.shape == (9, 9) and np.all(np.isfinite(plane.loss))
    assert plane.loss[4, 4] == pytest.approx(MODEL.loss(center, DATA.X, DATA.y), rel=1e-13)  # centre of the grid
    assert len(projections) == 2 and projections[0].coords.shape == (9, 2)
    assert np.abs(projections[0].coords).max() <= plane.alphas[-1]  # auto span covers every iterate
    assert (plane.eigenvalues is not None) == (method == "hessian")
    assert (plane.explained_variance is not None) == (method == "pca")
    assert 0.0 <= projections[1].explained_variance <= 1.0
    out = plane.as_dict()
    assert out["zmin"] <= out["zmax"] and len(out["loss"]) == 9


def test_make_plane_rejects_bad_requests():
    with pytest.raises(ValueError, match="'method'"):
        make_plane(MODEL, DATA, CENTER, "umap")
    with pytest.raises(ValueError, match="'n'"):
        make_plane(MODEL, DATA, CENTER, "random", n=1)
    with pytest.raises(ValueError, match="'span'"):
        make_plane(MODEL, DATA, CENTER, "random", span=-1.0)
    with pytest.raises(ValueError, match="needs at least one trajectory"):
        make_plane(MODEL, DATA, CENTER, "pca")


def test_decision_grid_over_the_bounding_box():
    W = np.stack([CENTER, CENTER * 0.5])
    xs, ys, prob = decision_grid(MODEL, W, DATA, n=11)
    assert prob.shape == (2, 11, 11) and np.all((prob >= 0) & (prob <= 1))
    (xlo, xhi), (ylo, yhi) = DATA.bounds(0.1)
    assert xs[0] == xlo and xs[-1] == xhi and ys[0] == ylo and ys[-1] == yhi
    p = MODEL.predict_proba(CENTER, np.array([[xs[3], ys[7]]]))[0]
    assert prob[0, 7, 3] == pytest.approx(p, rel=1e-14)  # prob[i, j] at (xs[j], ys[i])
    assert decision_grid(MODEL, CENTER, DATA, n=5)[2].shape == (5, 5)
    with pytest.raises(ValueError, match="classification"):
        decision_grid(MLP((3,), loss="mse"), np.zeros(13), make_dataset("regression", n=10))
