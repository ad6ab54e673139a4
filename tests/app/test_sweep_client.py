"""`Client.sweep` and `losslab sweep`: the same cells as /api/sweep, as a table and a CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app.client import Client
from app.sweep.cli import run_sweep

NET = {"dataset": {"name": "moons", "n": 50}, "model": {"hidden": [4]},
       "optimizers": [{"name": "gd", "lr": 0.5}], "steps": 20}
AXES = [{"path": "optimizers.0.lr", "values": [0.1, 1.0, 10.0]}]
BODY = {"base": {"kind": "network", "request": NET}, "axes": AXES, "seeds": {"count": 2}, "target_loss": 0.6}


@pytest.fixture(autouse=True, scope="module")
def cluster_up(client):
    """Start the app's LocalCluster once, blocking (a sweep request answers 503 while it starts)."""
    client.app.state.sweeps.client()


def as_records(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def test_client_sweep_returns_one_row_per_cell_and_seed_matching_the_api(client):
    records = as_records(Client(http=client).sweep(NET, AXES, seeds=2, target_loss=0.6))
    whole = client.post("/api/sweep", json=BODY).json()["cells"]
    assert len(records) == 6
    assert [(r["optimizers.0.lr"], r["replicate"]) for r in records] == [
        (lr, j) for lr in (0.1, 1.0, 10.0) for j in (0, 1)]
    for record, (cell, j) in zip(records, [(c, j) for c in whole for j in (0, 1)], strict=True):
        assert record["final_loss"] == cell["seeds"][j]["final_loss"]
        assert record["median_final_loss"] == cell["median_final_loss"]
        assert record["seed_init"] == j and record["status"] == cell["seeds"][j]["status"]


def test_cli_writes_the_table_and_refuses_a_bad_spec(client, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(BODY))
    address = client.app.state.sweeps.client().scheduler.address  # --scheduler: the app's cluster
    err = io.StringIO()
    assert run_sweep(str(spec), str(tmp_path / "out.csv"), scheduler=address, err=err) == 0
    with (tmp_path / "out.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and rows[0]["optimizers.0.lr"] == "0.1" and "6 trainings" in err.getvalue()
    whole = client.post("/api/sweep", json=BODY).json()["cells"]
    assert float(rows[5]["final_loss"]) == whole[2]["seeds"][1]["final_loss"]
    spec.write_text(json.dumps({**BODY, "axes": [{"path": "optimizers.0.momentum", "values": [0.5]}]}))
    err = io.StringIO()
    assert run_sweep(str(spec), str(tmp_path / "bad.csv"), scheduler=address, err=err) == 2
    assert "axes.0" in err.getvalue() and not (tmp_path / "bad.csv").exists()
