"""The function a Dask worker runs: a batch of resolved single-training jobs, through the engine."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

# glibc mallopt parameters. Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which
# also fixes the mmap threshold at 128 KiB: every activation array of a batch (~256 KiB) is then a
# fresh mmap, and its page faults made a training ~1.7x slower (measured: 525k vs 0.7k faults per
# 100 trainings). Heap-allocating up to 32 MiB (trimmed above 64 MiB) keeps a worker's memory
# bounded by one task's arrays and the arrays' pages reused.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
TRIM_BYTES, MMAP_BYTES = 64 << 20, 32 << 20


@functools.cache
def _tune_malloc() -> bool:
    """Once per worker process; a no-op (False) where libc has no mallopt (not glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_BYTES))
    except (OSError, AttributeError, TypeError):
        return False


def run_task(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """{"results": one engine result per job, "worker": the address of the worker that ran it}."""
    from engine.sweep import run_jobs

    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):  # called outside a worker (tests, a plain loop, the server's inline run)
        worker = None
    if worker is not None:
        _tune_malloc()  # the worker's process only: the server's own allocator is left alone
    return {"results": run_jobs(jobs), "worker": worker}
