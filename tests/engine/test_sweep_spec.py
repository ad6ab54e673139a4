"""Sweep specs: axis values, dotted paths, row-major cells, seed replicates, aggregates."""

from __future__ import annotations

import math

import pytest

from engine.sweep import PathError, aggregate, axis_values, cell_request, cells, replicate, set_path

BASE = {"dataset": {"name": "moons", "n": 100}, "model": {"hidden": [8, 8], "seed": 3},
        "optimizers": [{"name": "momentum", "lr": 0.1}], "steps": 10, "schedule": {"name": "step"}}


def test_ranges_are_linear_or_geometric_with_exact_ends_and_ints_for_int_fields():
    assert axis_values({"path": "optimizers.0.lr", "range": {"min": 0.0, "max": 1.0, "n": 5}}) == [
        0.0, 0.25, 0.5, 0.75, 1.0]
    logs = axis_values({"path": "optimizers.0.lr", "range": {"min": 1e-3, "max": 10.0, "n": 5, "log": True}})
    assert logs[0] == 1e-3 and logs[-1] == 10.0
    assert logs[2] == pytest.approx(0.1, rel=1e-12)
    assert axis_values({"path": "batch_size", "range": {"min": 8, "max": 100, "n": 3}}) == [8, 54, 100]
    assert axis_values({"path": "model.hidden.1", "range": {"min": 2, "max": 9, "n": 2}}) == [2, 9]
    assert axis_values({"path": "x", "values": [3, 0.5]}) == [3, 0.5]


def test_cells_are_row_major_with_the_last_axis_fastest():
    grid = cells([{"path": "a", "values": [1, 2]}, {"path": "b", "values": [10, 20, 30]}])
    assert [index for index, _ in grid] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert grid[4][1] == {"a": 2, "b": 20}


def test_set_path_sets_existing_and_omitted_numbers_and_refuses_the_rest():
    request = cell_request(BASE, {"optimizers.0.lr": 0.5, "optimizers.0.momentum": 0.8, "model.hidden.1": 4,
                                  "dataset.params.noise": 0.2, "schedule.gamma": 0.3})
    assert request["optimizers"][0] == {"name": "momentum", "lr": 0.5, "momentum": 0.8}
    assert request["model"]["hidden"] == [8, 4] and request["dataset"]["params"] == {"noise": 0.2}
    assert request["schedule"] == {"name": "step", "gamma": 0.3}
    assert BASE["optimizers"][0] == {"name": "momentum", "lr": 0.1}  # the base is not touched
    for path in ("optimizers.0.name", "optimizers.1.lr", "model.hidden", "steps.0", "optimizers.lr", "a..b"):
        with pytest.raises(PathError):
            set_path(cell_request(BASE, {}), path, 1.0)


def test_replicate_j_adds_j_to_each_varied_seed_only():
    rep = replicate(BASE, "network", 3, ["init", "shuffle"])
    assert rep["model"]["seed"] == 6 and rep["shuffle_seed"] == 3 and "seed" not in rep["dataset"]
    assert replicate(BASE, "network", 0, ["init", "data", "shuffle"])["model"]["seed"] == 3
    assert replicate({"noise": {"sigma": 0.1}}, "run", 2, ["noise"])["noise"] == {"sigma": 0.1, "seed": 2}


def test_aggregate_counts_diverged_seeds_as_infinite_loss():
    seeds = [{"final_loss": v, "status": s, "accuracy": a}
             for v, s, a in [(0.1, "max_steps", 0.9), (0.3, "converged", 0.8), (0.2, "max_steps", 1.0),
                             (5.0, "diverged", 0.5)]]
    out = aggregate(seeds)
    assert out["median_final_loss"] == pytest.approx(0.25)
    assert out["iqr_final_loss"] == [pytest.approx(0.175), None]  # q75 lies between 0.3 and a diverged seed
    assert out["median_accuracy"] == 0.9 and out["diverged_fraction"] == 0.25
    worst = aggregate([{"final_loss": 1.0, "status": "diverged", "accuracy": None}] * 2)
    assert worst == {"median_final_loss": None, "iqr_final_loss": [None, None], "median_accuracy": None,
                     "diverged_fraction": 1.0}
    assert math.isclose(aggregate([{"final_loss": 2.0, "status": "max_steps", "accuracy": None}])[
        "median_final_loss"], 2.0)
