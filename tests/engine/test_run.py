"""The runners: contract conventions, divergence, noise, chunking and batching."""

import numpy as np
import pytest

from engine.optimizers import make_optimizer
from engine.run import Chunk, Noise, iterate_runs, run_batch, run_many
from engine.schedules import make_schedule
from engine.surfaces import make_surface

START = [-4.0, 2.0]


def quad(kappa=25.0, theta=30.0):
    return make_surface("quadratic", {"kappa": kappa, "theta": theta})


def test_gd_on_quadratic_matches_closed_form():
    surf = quad()
    (res,) = run_many(surf, [make_optimizer("gd", {"lr": 0.05})], START, 100)
    H = surf.hessian(np.zeros(2))
    expected = [np.linalg.matrix_power(np.eye(2) - 0.05 * H, t) @ START for t in range(101)]
    np.testing.assert_allclose(res.path, expected, rtol=0, atol=1e-12)
    assert res.status == "max_steps" and res.steps_taken == 100
    assert res.path.shape == (101, 2) and res.loss.shape == (101,) and res.lr.shape == (100,)
    np.testing.assert_allclose(res.loss, surf.value(res.path))
    np.testing.assert_allclose(res.grad_norm, np.linalg.norm(surf.grad(res.path), axis=-1))


def test_divergence_stops_before_the_first_bad_iterate():
    surf = make_surface("saddle", {"a": 1.0, "b": 1.0})  # escape along y: f falls, only |x| can stop it
    (res,) = run_many(surf, [make_optimizer("gd", {"lr": 0.5})], [0.0, 1.0], 200)
    assert res.status == "diverged"
    # |y_t| = 1.5^t; the first t with 1.5^t > 1e6 is 35, so 34 updates are kept
    assert res.steps_taken == 34
    assert len(res.path) == 35 and len(res.lr) == 34
    assert np.all(np.isfinite(res.path)) and np.linalg.norm(res.path[-1]) <= 1e6


def test_converged_status_uses_final_gradient_norm():
    surf = quad(kappa=4, theta=0)
    (fast, slow) = run_many(surf, [make_optimizer("gd", {"lr": 0.4}), make_optimizer("gd", {"lr": 1e-3})], START, 200)
    assert fast.status == "converged" and fast.grad_norm[-1] < 1e-6
    assert slow.status == "max_steps"


def test_lr_follows_the_schedule():
    schedule = make_schedule("step", {"step_size": 10, "gamma": 0.5})
    (res,) = run_many(quad(), [make_optimizer("gd", {"lr": 0.02})], START, 30, schedule)
    np.testing.assert_allclose(res.lr, 0.02 * 0.5 ** np.floor(np.arange(30) / 10))


def test_noise_is_shared_by_all_optimizers_and_seeded():
    surf = quad()
    opts = [make_optimizer("gd", {"lr": 0.02}), make_optimizer("gd", {"lr": 0.02})]
    a, b = run_many(surf, opts, START, 50, noise=Noise(0.5, 7))
    np.testing.assert_array_equal(a.path, b.path)
    (c,) = run_many(surf, opts[:1], START, 50, noise=Noise(0.5, 8))
    assert not np.allclose(a.path, c.path)
    (d,) = run_many(surf, opts[:1], START, 50, noise=Noise(0.5, 7))
    np.testing.assert_array_equal(a.path, d.path)
    # the noise enters the gradient: x1 = x0 - eta (grad + sigma xi_0)
    xi0 = 0.5 * np.random.default_rng(7).standard_normal((50, 2))[0]
    np.testing.assert_allclose(a.path[1], np.array(START) - 0.02 * (surf.grad(np.array(START)) + xi0))


@pytest.mark.parametrize("chunk_steps", [1, 7, 64])
def test_chunks_join_to_the_whole_run(chunk_steps):
    surf = make_surface("rosenbrock")
    opts = [make_optimizer("gd", {"lr": 1e-3}), make_optimizer("momentum", {"lr": 1e-3}),
            make_optimizer("gd", {"lr": 0.05})]  # the last one diverges
    whole = run_many(surf, opts, [-1.5, 2.0], 150, noise=Noise(0.1, 3))
    parts = {i: [] for i in range(3)}
    final = None
    for item in iterate_runs(surf, opts, [-1.5, 2.0], 150, noise=Noise(0.1, 3), chunk_steps=chunk_steps,
                             chunk_seconds=float("inf")):
        if isinstance(item, Chunk):
            expected_offset = sum(len(c.path) for c in parts[item.run])
            assert item.offset == expected_offset
            parts[item.run].append(item)
        else:
            final = item
    for i, res in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([c.path for c in parts[i]]), res.path)
        np.testing.assert_array_equal(np.concatenate([c.lr for c in parts[i]]), res.lr)
        np.testing.assert_array_equal(np.concatenate([c.loss for c in parts[i]]), res.loss)
        assert final[i] == {"status": res.status, "steps_taken": res.steps_taken}
    assert whole[2].status == "diverged"


def test_cancellation_stops_the_stream():
    calls = {"n": 0}

    def cancelled():
        calls["n"] += 1
        return calls["n"] > 2

    items = list(iterate_runs(quad(), [make_optimizer("gd")], START, 20000, chunk_steps=10, cancelled=cancelled))
    steps = sum(len(c.path) for c in items if isinstance(c, Chunk)) - 1
    assert steps == 20  # two blocks of 10, then cancelled


def test_run_batch_matches_single_runs_and_flags_divergence():
    surf = make_surface("himmelblau")
    starts = np.array([[0.0, 0.0], [-1.0, 1.0], [4.0, -4.0], [50.0, 50.0]])
    opt = make_optimizer("gd", {"lr": 0.01})
    batch = run_batch(surf.grad, surf.value, opt, starts, 300, 0.01, record_path=True)
    for i, start in enumerate(starts[:3]):
        (single,) = run_many(surf, [opt], start, 300)
        np.testing.assert_allclose(batch.path[:, i], single.path, rtol=0, atol=1e-12)
        assert batch.diverged_at[i] == -1
    assert batch.diverged_at[3] >= 0 and np.all(np.isfinite(batch.final))


def test_run_batch_broadcasts_learning_rates():
    surf = quad(kappa=10, theta=0)
    lrs = np.array([[0.01], [0.1], [0.25]])  # 2/lam_max = 0.2: the last diverges
    opt = make_optimizer("gd")
    batch = run_batch(surf.grad, surf.value, opt, np.tile(START, (3, 1)), 400, lrs)
    assert list(batch.diverged_at >= 0) == [False, False, True]
    (single,) = run_many(surf, [make_optimizer("gd", {"lr": 0.1})], START, 400)
    np.testing.assert_allclose(batch.final[1], single.path[-1], atol=1e-14)
    assert batch.converged_at[1] > 0 and batch.converged_at[0] == -1
