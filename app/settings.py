"""Settings: limits, CORS and logging, read once from LOSSLAB_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


def _env(name: str, default, cast=int):
    raw = os.environ.get(f"LOSSLAB_{name}")
    return default if raw is None else cast(raw)


@dataclass(frozen=True)
class Limits:
    """Per-request work bounds (the contract's defaults)."""

    max_steps: int = 20000
    max_optimizers: int = 12
    max_grid_n: int = 501
    max_basin_n: int = 301
    max_phase_n: int = 101
    max_body_bytes: int = 1 << 20
    max_hidden_width: int = 256
    max_depth: int = 4
    max_dataset_n: int = 5000
    # start-steps of one batched request (basins, phase, tune): bounds CPU per request to about a
    # second (Himmelblau basins, 200² starts × 500 steps of GD, is 2e7)
    max_batch_work: int = 20_000_000
    # sweeps: cells × seeds × per-training work (multiply-adds, priced as /api/network/train prices
    # one training); 5e11 is about two minutes on two cores
    max_sweep_work: int = 5 * 10**11
    max_sweep_cells: int = 4096
    max_sweep_seeds: int = 64


@dataclass(frozen=True)
class Settings:
    limits: Limits = field(default_factory=Limits)
    cors_origins: tuple[str, ...] = ()  # closed by default
    log_level: str = "info"
    # Stream chunks are cut every 64 steps, not by the clock: the same request then gives the same
    # bytes (a 2D step costs microseconds, so 64 steps of 12 optimizers stay well under 20 ms).
    # A finite value adds a time cut for slow custom surfaces, at the price of byte-determinism.
    stream_chunk_steps: int = 64
    stream_chunk_seconds: float = float("inf")
    # sweeps run on Dask: an existing scheduler (tcp://host:port), or None for an in-process
    # LocalCluster started on the first sweep with `dask_workers` processes (0: one per core)
    dask_scheduler: str | None = None
    dask_workers: int = 0


@lru_cache
def get_settings() -> Settings:
    limits = Limits(
        max_steps=_env("MAX_STEPS", 20000),
        max_optimizers=_env("MAX_OPTIMIZERS", 12),
        max_grid_n=_env("MAX_GRID_N", 501),
        max_body_bytes=_env("MAX_BODY_BYTES", 1 << 20),
        max_batch_work=_env("MAX_BATCH_WORK", 20_000_000),
        max_sweep_work=_env("MAX_SWEEP_WORK", 5 * 10**11),
    )
    origins = tuple(o for o in _env("CORS_ORIGINS", "", str).split(",") if o)
    return Settings(limits=limits, cors_origins=origins, log_level=_env("LOG_LEVEL", "info", str),
                    dask_scheduler=_env("DASK_SCHEDULER", None, str) or None, dask_workers=_env("DASK_WORKERS", 0))
