"""Training: same w₀ for all, exact GD/minibatch semantics, determinism, divergence, chunks, sharpness."""

import numpy as np
import pytest

import engine.optimizers
from engine.nn.datasets import make_dataset
from engine.nn.hessian import hvp
from engine.nn.mlp import MLP
from engine.nn.train import train, train_iter
from engine.optimizers import make_optimizer
from engine.schedules import make_schedule

DATA = make_dataset("moons", n=60, seed=1, noise=0.1)
MODEL = MLP((5,), "tanh", "bce")


def require_adam():
    if "adam" not in engine.optimizers.REGISTRY:
        pytest.skip("adam is not registered yet")


def test_full_batch_gd_with_a_schedule_is_the_textbook_recursion():
    schedule = make_schedule("step", {"step_size": 2, "gamma": 0.5})
    result = train(MODEL, DATA, [{"name": "gd", "lr": 0.5}], 5, schedule=schedule, init_seed=3)
    w = MODEL.init(3)
    expected = [w]
    for eta in 0.5 * np.array([1, 1, 0.5, 0.5, 0.25]):
        w = w - eta * MODEL.loss_and_grad(w, DATA.X, DATA.y)[1]
        expected.append(w)
    run = result.runs[0]
    np.testing.assert_array_equal(run.steps, np.arange(6))
    np.testing.assert_allclose(run.weights, expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(run.loss, MODEL.loss(np.array(expected), DATA.X, DATA.y), rtol=1e-14)
    np.testing.assert_allclose(run.accuracy, MODEL.accuracy(np.array(expected), DATA.X, DATA.y))


def test_minibatches_reshuffle_each_epoch_from_the_seed():
    steps, size = 7, 25  # 60 examples: batches of 25, 25, 10, then a new permutation
    result = train(MODEL, DATA, [{"name": "gd", "lr": 0.3}], steps, batch_size=size, shuffle_seed=11,
                   init_seed=0, record_every=steps)
    rng = np.random.default_rng(11)
    batches = []
    while len(batches) < steps:
        order = rng.permutation(60)
        batches += [order[i:i + size] for i in range(0, 60, size)]
    w = MODEL.init(0)
    for rows in batches[:steps]:
        w = w - 0.3 * MODEL.loss_and_grad(w, DATA.X[rows], DATA.y[rows])[1]
    np.testing.assert_array_equal(result.runs[0].steps, [0, steps])
    np.testing.assert_allclose(result.runs[0].weights[-1], w, rtol=0, atol=1e-14)


def test_every_optimizer_starts_from_the_same_weights_and_is_deterministic():
    specs = [{"name": "gd", "lr": 0.2}, {"name": "momentum", "lr": 0.1, "momentum": 0.9},
             {"name": "gd", "lr": 0.05}]
    kwargs = dict(batch_size=16, shuffle_seed=5, init_seed=9, record_every=4)
    a, b = train(MODEL, DATA, specs, 20, **kwargs), train(MODEL, DATA, specs, 20, **kwargs)
    assert [r.label for r in a.runs] == ["gd", "momentum", "gd #2"]
    for ra, rb in zip(a.runs, b.runs, strict=True):
        np.testing.assert_array_equal(ra.weights[0], MODEL.init(9))
        assert ra.weights.tobytes() == rb.weights.tobytes() and ra.loss.tobytes() == rb.loss.tobytes()
        np.testing.assert_array_equal(ra.steps, [0, 4, 8, 12, 16, 20])
    other = train(MODEL, DATA, specs, 20, **{**kwargs, "shuffle_seed": 6})
    assert not np.array_equal(other.runs[0].weights[-1], a.runs[0].weights[-1])


def test_optimizer_objects_match_specs():
    by_spec = train(MODEL, DATA, [{"name": "momentum", "lr": 0.1}], 10, init_seed=1)
    by_object = train(MODEL, DATA, [make_optimizer("momentum", {"lr": 0.1})], 10, init_seed=1)
    np.testing.assert_array_equal(by_spec.runs[0].weights, by_object.runs[0].weights)
    assert by_object.runs[0].hparams["momentum"] == 0.9


def test_adam_reaches_97_percent_on_moons_within_500_steps():
    require_adam()
    data = make_dataset("moons", n=500, seed=0, noise=0.1)
    model = MLP((16, 16), "tanh", "bce")
    result = train(model, data, [{"name": "adam", "lr": 0.01}], 500, init_seed=0, record_every=50)
    run = result.runs[0]
    assert run.status == "ok" and run.accuracy[-1] >= 0.97
    assert run.loss[-1] < 0.5 * run.loss[0]


def test_a_diverging_run_stops_without_raising_and_the_others_continue():
    data = make_dataset("regression", n=50, seed=0)
    model = MLP((), "tanh", "mse")  # linear regression: GD with η ≫ 2/λmax blows up geometrically
    result = train(model, data, [{"name": "gd", "lr": 50.0}, {"name": "gd", "lr": 0.1, "label": "slow"}], 300,
                   init_seed=0, sharpness_every=50)
    fast, slow = result.runs
    assert fast.status == "diverged" and 0 < fast.diverged_at < 300
    assert np.all(np.isfinite(fast.loss)) and fast.steps[-1] <= fast.diverged_at
    assert slow.status == "ok" and slow.diverged_at is None and slow.steps[-1] == 300
    assert slow.label == "slow" and np.all(np.isfinite(slow.lam_max))


def test_newton_is_refused_for_networks():
    with pytest.raises(ValueError, match="newton is not available for networks"):
        train(MODEL, DATA, [{"name": "newton"}], 5)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"steps": 0}, "'steps'"), ({"record_every": 0}, "'record_every'"), ({"batch_size": 0}, "'batch_size'"),
])
def test_bad_training_arguments_raise(kwargs, needle):
    args = {"steps": 5, **kwargs}
    with pytest.raises(ValueError, match=needle):
        train(MODEL, DATA, [{"name": "gd"}], args.pop("steps"), **args)
    with pytest.raises(ValueError, match="unknown optimizer"):
        train(MODEL, DATA, [{"name": "conjugate_gradient"}], 5)
    with pytest.raises(ValueError, match="'bce' needs a classification dataset"):
        train(MODEL, make_dataset("regression", n=10), [{"name": "gd"}], 5)


def test_chunks_stream_the_same_records_as_train():
    specs = [{"name": "gd", "lr": 0.3}, {"name": "nesterov", "lr": 0.1}]
    chunks = list(train_iter(MODEL, DATA, specs, 25, w0=MODEL.init(2), record_every=3, chunk_steps=10,
                             sharpness_every=10))
    assert [c.step for c in chunks] == [10, 20, 25] and [c.done for c in chunks] == [False, False, True]
    assert chunks[0].as_dict()["runs"][0]["steps"] == [0, 3, 6, 9]
    whole = train(MODEL, DATA, specs, 25, w0=MODEL.init(2), record_every=3, sharpness_every=10)
    for k, run in enumerate(whole.runs):
        np.testing.assert_array_equal(np.concatenate([c.runs[k].steps for c in chunks]), run.steps)
        np.testing.assert_array_equal(np.concatenate([c.runs[k].loss for c in chunks]), run.loss)
        np.testing.assert_array_equal(run.steps, [0, 3, 6, 9, 12, 15, 18, 21, 24, 25])
        np.testing.assert_array_equal(run.sharpness_steps, [0, 10, 20, 25])


def test_sharpness_is_the_top_eigenvalue_of_the_full_hessian():
    model = MLP((3,), "tanh", "bce")  # d = 13: Lanczos with 13 iterations is exact
    result = train(model, DATA, [{"name": "gd", "lr": 0.4}], 8, init_seed=1, record_every=4, sharpness_every=4,
                   sharpness_iters=13)
    run = result.runs[0]
    np.testing.assert_array_equal(run.sharpness_steps, [0, 4, 8])
    np.testing.assert_allclose(run.sharpness_eta, 0.4)
    for w, lam in zip(run.weights, run.lam_max, strict=True):
        H = np.array([hvp(model, w, DATA.X, DATA.y, e) for e in np.eye(model.d)])
        assert lam == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-9)


def test_adam_runs_next_to_gd_from_the_same_start():
    require_adam()
    result = train(MODEL, DATA, [{"name": "gd", "lr": 0.1}, {"name": "adam", "lr": 0.01}], 30, init_seed=4,
                   record_every=10)
    gd, adam = result.runs
    np.testing.assert_array_equal(gd.weights[0], adam.weights[0])
    assert adam.status == "ok" and adam.loss[-1] < adam.loss[0]
    assert result.run("adam") is adam
