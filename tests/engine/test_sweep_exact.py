"""A sweep's batched trainings equal the single trainings bit for bit, whatever else is in the batch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.nn import MLP, make_dataset, train
from engine.optimizers import make_optimizer
from engine.run import Noise, run_many
from engine.schedules import make_schedule
from engine.surfaces import make_surface
from engine.sweep import run_jobs


def net_job(optimizer, seed=0, schedule=None, batch_size=None, every=1, data=("moons", "bce", "tanh"),
            steps=40, sharpness=None, target=0.3):
    name, loss, activation = data
    return {"kind": "network", "dataset": {"name": name, "n": 60, "seed": 1, "params": {}},
            "model": {"hidden": [6, 5], "activation": activation, "loss": loss, "init": "he", "sigma": 0.1,
                      "seed": seed},
            "optimizer": optimizer, "schedule": schedule or {"name": "constant"}, "steps": steps,
            "batch_size": batch_size, "shuffle_seed": 2, "record_every": every, "sharpness_iters": sharpness,
            "target_loss": target}


def single_network(job):
    d, m = job["dataset"], job["model"]
    data = make_dataset(d["name"], d["n"], d["seed"], **d["params"])
    model = MLP(m["hidden"], m["activation"], m["loss"])
    spec = {k: tuple(v) if isinstance(v, list) else v for k, v in job["optimizer"].items() if k != "name"}
    schedule = make_schedule(job["schedule"]["name"], {k: v for k, v in job["schedule"].items() if k != "name"})
    return train(model, data, [make_optimizer(job["optimizer"]["name"], spec)], job["steps"],
                 w0=model.init(m["seed"], m["init"], m["sigma"]), batch_size=job["batch_size"], schedule=schedule,
                 shuffle_seed=job["shuffle_seed"], record_every=job["record_every"],
                 sharpness_every=job["steps"] if job["sharpness_iters"] else 0,
                 sharpness_iters=job["sharpness_iters"] or 20).runs[0]


def assert_same(result, trace, job):
    assert result["final_loss"] == float(trace.loss[-1])
    assert result["best_loss"] == float(trace.loss.min())
    assert result["final_step"] == int(trace.steps[-1])
    assert result["accuracy"] == (None if trace.accuracy is None else float(trace.accuracy[-1]))
    assert (result["status"] == "diverged") == (trace.status == "diverged")
    assert result["diverged_at"] == trace.diverged_at
    hits = trace.steps[trace.loss <= job["target_loss"]]
    assert result["steps_to_target"] == (int(hits[0]) if hits.size else None)
    if job["sharpness_iters"] and trace.status != "diverged":
        assert result["lam_max"] == float(trace.lam_max[-1])


@pytest.mark.parametrize("batch_size, every", [(None, 1), (None, 7), (16, 3)])
def test_mixed_network_batches_equal_single_trainings(batch_size, every):
    jobs = [net_job({"name": "momentum", "lr": lr, "momentum": mu}, seed=s, batch_size=batch_size, every=every,
                    sharpness=5 if s == 1 else None)
            for lr in (0.05, 2.0) for mu in (0.0, 0.9) for s in (0, 1)]
    jobs += [net_job({"name": "adam", "lr": 0.02, "betas": [b1, 0.99]}, batch_size=batch_size, every=every,
                     schedule={"name": "step", "step_size": 10, "gamma": g}) for b1 in (0.5, 0.9) for g in (0.5, 1.0)]
    results = run_jobs(jobs)
    for job, result in zip(jobs, results, strict=True):
        assert_same(result, single_network(job), job)


def test_diverging_regression_rows_stop_where_the_single_training_stops():
    jobs = [net_job({"name": "gd", "lr": lr}, data=("regression", "mse", "relu"), steps=120, target=0.05)
            for lr in (0.01, 0.5, 5.0, 60.0)]
    results = run_jobs(jobs)
    assert any(r["status"] == "diverged" for r in results)
    for job, result in zip(jobs, results, strict=True):
        assert_same(result, single_network(job), job)


@settings(max_examples=8, deadline=None)
@given(lrs=st.lists(st.floats(1e-3, 30.0), min_size=1, max_size=4),
       mu=st.sampled_from([0.0, 0.5, 0.99]), position=st.integers(0, 3))
def test_a_training_equals_itself_alone_whatever_its_batch(lrs, mu, position):
    jobs = [net_job({"name": "nesterov", "lr": lr, "momentum": mu}, steps=25) for lr in lrs]
    alone = run_jobs([jobs[position % len(jobs)]])[0]
    assert run_jobs(jobs)[position % len(jobs)] == alone


def test_2d_run_batches_equal_single_runs_with_noise_and_schedule():
    surface = {"name": "quadratic", "params": {"kappa": 20.0}, "expr": None, "domain": None}
    jobs = [{"kind": "run", "surface": surface, "start": start, "optimizer": {"name": "momentum", "lr": lr,
                                                                                "momentum": 0.8},
             "schedule": {"name": "exponential", "gamma": 0.99}, "steps": 80,
             "noise": {"sigma": 0.3, "seed": 4}, "target_loss": 0.5}
            for lr in (0.01, 0.09, 1.5) for start in ([-4.0, 2.0], [1.0, 1.0])]
    results = run_jobs(jobs)
    assert {r["status"] for r in results} >= {"diverged", "max_steps"}
    surf = make_surface("quadratic", {"kappa": 20.0})
    for job, result in zip(jobs, results, strict=True):
        opt = make_optimizer("momentum", {"lr": job["optimizer"]["lr"], "momentum": 0.8})
        run = run_many(surf, [opt], job["start"], 80, make_schedule("exponential", {"gamma": 0.99}),
                       Noise(0.3, 4))[0]
        assert result["final_loss"] == float(run.loss[-1]) and result["best_loss"] == float(run.loss.min())
        assert result["status"] == run.status and result["final_point"] == [float(v) for v in run.path[-1]]
        hits = np.flatnonzero(run.loss <= 0.5)
        assert result["steps_to_target"] == (int(hits[0]) if hits.size else None)
