"""MLP: documented layout, exact backprop (gradient check), exact HVPs, batched = per-vector."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.nn.mlp as mlp_module
from engine.nn.hessian import hvp
from engine.nn.losses import sigmoid
from engine.nn.mlp import MLP

RNG = np.random.default_rng(0)
X = RNG.normal(size=(25, 2))
Y_CLASS = (RNG.random(25) > 0.5).astype(float)
Y_REG = RNG.normal(size=25)
COMBOS = [(act, loss) for act in ("tanh", "relu", "sigmoid") for loss in ("mse", "bce")]


def central_grad(model, w, X, y, h=1e-5):
    eye = np.eye(model.d)
    return (model.loss(w + h * eye, X, y) - model.loss(w - h * eye, X, y)) / (2 * h)


def rel_err(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


def targets(loss):
    return Y_CLASS if loss == "bce" else Y_REG


def test_flat_layout_is_w_row_major_then_b_per_layer():
    model = MLP((3,), "tanh", "mse")
    assert model.d == 13
    w = np.arange(13.0)
    (W1, b1), (W2, b2) = model.unpack(w[None])
    np.testing.assert_array_equal(W1[0], [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(b1[0], [6, 7, 8])
    np.testing.assert_array_equal(W2[0], [[9, 10, 11]])
    np.testing.assert_array_equal(b2[0], [12])
    assert model.describe()["layout"] == [{"W": [3, 2], "w_start": 0, "b_start": 6},
                                          {"W": [1, 3], "w_start": 9, "b_start": 12}]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_outputs_match_a_hand_written_forward_pass(activation):
    model = MLP((4, 3), activation, "bce")
    w = model.init(1, "xavier") + 0.1
    phi = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    W1, b1 = w[:8].reshape(4, 2), w[8:12]
    W2, b2 = w[12:24].reshape(3, 4), w[24:27]
    W3, b3 = w[27:30].reshape(1, 3), w[30]
    expected = (phi(phi(X @ W1.T + b1) @ W2.T + b2) @ W3.T)[:, 0] + b3
    np.testing.assert_allclose(model.outputs(w, X), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(("activation", "loss"), COMBOS)
def test_backprop_matches_central_differences(activation, loss):
    model = MLP((5, 4), activation, loss)
    w = model.init(2, "xavier") + 0.05 * RNG.normal(size=model.d)
    y = targets(loss)
    value, grad = model.loss_and_grad(w, X, y)
    assert value == pytest.approx(model.loss(w, X, y), rel=1e-14)
    assert rel_err(grad, central_grad(model, w, X, y)) < 1e-6


@pytest.mark.parametrize(("activation", "loss"), COMBOS)
def test_hvp_matches_differences_of_exact_gradients(activation, loss):
    model = MLP((5, 4), activation, loss)
    w = model.init(3, "xavier") + 0.05 * RNG.normal(size=model.d)
    v = RNG.normal(size=model.d)
    y, h = targets(loss), 1e-5
    fd = (model.loss_and_grad(w + h * v, X, y)[1] - model.loss_and_grad(w - h * v, X, y)[1]) / (2 * h)
    assert rel_err(hvp(model, w, X, y, v), fd) < 1e-7


def test_assembled_hessian_is_symmetric_and_linear_in_v():
    model = MLP((4,), "tanh", "bce")
    w = model.init(4)
    H = np.array([hvp(model, w, X, Y_CLASS, e) for e in np.eye(model.d)])
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    v = RNG.normal(size=model.d)
    np.testing.assert_allclose(hvp(model, w, X, Y_CLASS, v), H @ v, atol=1e-13)


def test_linear_model_mse_hessian_is_the_normal_matrix():
    """hidden=() is linear regression with a bias: H = [X 1]ᵀ[X 1]/N exactly."""
    model = MLP((), "tanh", "mse")
    Xa = np.column_stack([X, np.ones(len(X))])
    H = np.array([hvp(model, np.zeros(3), X, Y_REG, e) for e in np.eye(3)])
    np.testing.assert_allclose(H, Xa.T @ Xa / len(X), atol=1e-15)


def test_batched_loss_grad_and_hvp_equal_per_vector_results():
    model = MLP((6, 5), "tanh", "bce")
    W = model.init(5) + 0.3 * RNG.normal(size=(7, model.d))
    V = RNG.normal(size=(7, model.d))
    losses, grads = model.loss_and_grad(W, X, Y_CLASS)
    batched_hvp = hvp(model, W, X, Y_CLASS, V)
    np.testing.assert_allclose(model.loss(W, X, Y_CLASS), losses, rtol=1e-14)
    for b in range(7):
        value, grad = model.loss_and_grad(W[b], X, Y_CLASS)
        assert losses[b] == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(grads[b], grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(batched_hvp[b], hvp(model, W[b], X, Y_CLASS, V[b]), rtol=1e-12, atol=1e-15)


def test_blocked_evaluation_gives_the_same_numbers(monkeypatch):
    model = MLP((8,), "relu", "bce")
    W = model.init(6) + 0.2 * RNG.normal(size=(9, model.d))
    whole_loss, whole_acc = model.evaluate(W, X, Y_CLASS)
    whole_grad = model.loss_and_grad(W, X, Y_CLASS)[1]
    monkeypatch.setattr(mlp_module, "BLOCK_ELEMENTS", 50)  # forces blocks of rows and of examples
    blocked_loss, blocked_acc = model.evaluate(W, X, Y_CLASS)
    np.testing.assert_allclose(blocked_loss, whole_loss, rtol=1e-13)
    np.testing.assert_array_equal(blocked_acc, whole_acc)
    np.testing.assert_allclose(model.loss_and_grad(W, X, Y_CLASS)[1], whole_grad, rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       activation=st.sampled_from(["tanh", "sigmoid"]), loss=st.sampled_from(["mse", "bce"]),
       seed=st.integers(0, 10_000))
def test_gradient_check_holds_for_random_architectures(hidden, activation, loss, seed):
    model = MLP(hidden, activation, loss)
    w = model.init(seed, "normal", 0.7)
    y = targets(loss)
    assert rel_err(model.loss_and_grad(w, X, y)[1], central_grad(model, w, X, y)) < 1e-6


def test_bce_is_stable_for_huge_logits():
    model = MLP((), "tanh", "bce")
    w = np.array([0.0, 0.0, 800.0])  # logit f = 800 for every example
    y = np.array([1.0, 0.0])
    Xs = np.zeros((2, 2))
    value, grad = model.loss_and_grad(w, Xs, y)
    assert value == pytest.approx(400.0)  # ℓ = 0 for y = 1, ℓ = 800 for y = 0
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.5])  # (σ(800) − y)/N summed: (0 + 1)/2
    np.testing.assert_allclose(sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])


def test_accuracy_and_probabilities():
    model = MLP((), "tanh", "bce")
    w = np.array([1.0, 0.0, 0.0])  # f = x₁
    Xs = np.array([[-2.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    assert model.accuracy(w, Xs, np.array([0.0, 1.0, 1.0, 1.0])) == 0.75
    np.testing.assert_allclose(model.predict_proba(w, Xs), 1 / (1 + np.exp(-Xs[:, 0])))
    regression = MLP((), "tanh", "mse")  # threshold ½ and clipped output for mse
    assert regression.accuracy(np.array([1.0, 0.0, 0.0]), Xs, np.array([0.0, 0.0, 1.0, 1.0])) == 1.0
    np.testing.assert_allclose(regression.predict_proba(np.array([1.0, 0.0, 0.0]), Xs), [0, 0, 1, 1])


def test_init_schemes_have_their_scales_and_zero_biases():
    model = MLP((256, 256), "relu", "bce")
    he, xavier = model.init(0, "he"), model.init(0, "xavier")
    normal = model.init(0, "normal", sigma=0.05)
    W2 = slice(model.layers[1].w_start, model.layers[1].b_start)
    assert he[W2].std() == pytest.approx(np.sqrt(2 / 256), rel=0.02)
    bound = np.sqrt(6 / 512)
    assert np.abs(xavier[W2]).max() <= bound and xavier[W2].std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert normal[W2].std() == pytest.approx(0.05, rel=0.02)
    for lay in model.layers:
        assert not np.any(he[lay.b_start:lay.end])
    np.testing.assert_array_equal(model.init(0, "he"), he)
    assert not np.array_equal(model.init(1, "he"), he)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"hidden": (257,)}, "'hidden'"), ({"hidden": (4,) * 5}, "'hidden'"), ({"hidden": (0,)}, "'hidden'"),
    ({"activation": "gelu"}, "'activation'"), ({"loss": "hinge"}, "'loss'"),
])
def test_bad_model_parameters_raise(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        MLP(**kwargs)


def test_bad_init_and_shapes_raise():
    model = MLP((3,))
    with pytest.raises(ValueError, match="'scheme'"):
        model.init(0, "orthogonal")
    with pytest.raises(ValueError, match="'sigma'"):
        model.init(0, "normal", sigma=0.0)
    with pytest.raises(ValueError, match="weights must have shape"):
        model.loss(np.zeros(5), X, Y_CLASS)
    with pytest.raises(ValueError, match="y must have shape"):
        model.loss(np.zeros(model.d), X, Y_CLASS[:3])
