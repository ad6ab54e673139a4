"""The function a Dask worker runs: a batch of resolved single-training jobs, through the engine."""

from __future__ import annotations

from typing import Any


def run_task(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """{"results": one engine result per job, "worker": the address of the worker that ran it}."""
    from engine.sweep import run_jobs

    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):  # called outside a worker (tests, a plain loop)
        worker = None
    return {"results": run_jobs(jobs), "worker": worker}
