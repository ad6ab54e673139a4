"""Sweeps: many network trainings (or 2D runs) over a grid of settings and seeds, batched.

    from engine.sweep import cells, run_jobs
    results = run_jobs(jobs)   # jobs: resolved single-training specs (plain dicts), any mix

`run_jobs` groups jobs that can share a batch (`group_key`) and runs each group as one
vectorized computation over the stacked weight sets; each result equals the corresponding
single `/api/network/train` or `/api/run` call bit for bit. numpy only: no Dask, no web.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.sweep import network, surface
from engine.sweep.spec import (
    SEED_PATHS,
    PathError,
    aggregate,
    axis_values,
    cell_request,
    cells,
    get_path,
    parse_path,
    replicate,
    set_path,
)


def group_key(job: Mapping[str, Any]) -> str:
    return network.group_key(job) if job["kind"] == "network" else surface.group_key(job)


def run_jobs(jobs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Results of every job, in order; jobs with one `group_key` run as one batch."""
    groups: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        groups.setdefault(group_key(job), []).append(i)
    out: list[dict[str, Any] | None] = [None] * len(jobs)
    for members in groups.values():
        batch = [jobs[i] for i in members]
        runner = network.train_batch if batch[0]["kind"] == "network" else surface.run_batch_jobs
        for i, result in zip(members, runner(batch), strict=True):
            out[i] = result
    return out  # type: ignore[return-value]


__all__ = ["SEED_PATHS", "PathError", "aggregate", "axis_values", "cell_request", "cells", "get_path",
           "group_key", "parse_path", "replicate", "run_jobs", "set_path"]
