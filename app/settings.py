"""Settings: limits, CORS, logging and streaming, read once from LOSSLAB_* environment variables.

One `Settings` class (pydantic-settings): `LOSSLAB_MAX_STEPS=100 losslab serve` lowers the step
limit everywhere at once, because every request limit is built from here: the schemas' bounds
(app/limits.py checks them per request against the serving app's settings and writes them into
the OpenAPI schema at app creation), `GET /api/limits` and `/api/health` publish them, and the
page reads them from its config. README lists every variable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# name -> (default, description): the per-request limits, in the order /api/limits lists them
LIMIT_FIELDS: dict[str, tuple[int, str]] = {
    "max_steps": (20000, "updates per run (run, basins, phase, tune)"),
    "max_optimizers": (12, "optimizers per request (run, tune, network)"),
    "max_grid_n": (501, "points per axis of /api/grid"),
    "max_basin_n": (301, "starts per axis of /api/basins"),
    "max_phase_n": (101, "values per axis of /api/phase"),
    "max_body_bytes": (1 << 20, "request body size in bytes (413 above)"),
    "max_hidden_width": (256, "units per hidden layer of a network"),
    "max_depth": (4, "hidden layers of a network"),
    "max_dataset_n": (5000, "examples of a network data set (and its batch size)"),
    "max_network_steps": (5000, "updates per optimizer of /api/network/train"),
    "max_plane_n": (101, "points per axis of a network's landscape plane"),
    # start-steps of one batched request (basins, phase, tune): bounds CPU per request to about a
    # second (Himmelblau basins, 200² starts × 500 steps of GD, is 2e7)
    "max_batch_work": (20_000_000, "starts × steps of one batched request (basins, phase, tune)"),
    # sweeps: cells × seeds × per-training work (multiply-adds, priced as /api/network/train prices
    # one training); 5e11 is about two minutes on two cores
    "max_sweep_work": (5 * 10**11, "multiply-adds of one /api/sweep (cells × seeds × training)"),
    "max_sweep_cells": (4096, "cells of one /api/sweep"),
    "max_sweep_seeds": (64, "seeds per cell of one /api/sweep"),
}


class Limits(BaseModel):
    """Per-request work bounds (the contract's defaults), a frozen view of the settings."""

    model_config = ConfigDict(frozen=True)

    max_steps: int = LIMIT_FIELDS["max_steps"][0]
    max_optimizers: int = LIMIT_FIELDS["max_optimizers"][0]
    max_grid_n: int = LIMIT_FIELDS["max_grid_n"][0]
    max_basin_n: int = LIMIT_FIELDS["max_basin_n"][0]
    max_phase_n: int = LIMIT_FIELDS["max_phase_n"][0]
    max_body_bytes: int = LIMIT_FIELDS["max_body_bytes"][0]
    max_hidden_width: int = LIMIT_FIELDS["max_hidden_width"][0]
    max_depth: int = LIMIT_FIELDS["max_depth"][0]
    max_dataset_n: int = LIMIT_FIELDS["max_dataset_n"][0]
    max_network_steps: int = LIMIT_FIELDS["max_network_steps"][0]
    max_plane_n: int = LIMIT_FIELDS["max_plane_n"][0]
    max_batch_work: int = LIMIT_FIELDS["max_batch_work"][0]
    max_sweep_work: int = LIMIT_FIELDS["max_sweep_work"][0]
    max_sweep_cells: int = LIMIT_FIELDS["max_sweep_cells"][0]
    max_sweep_seeds: int = LIMIT_FIELDS["max_sweep_seeds"][0]

    def public(self) -> dict[str, Any]:
        """{name: {"value", "description"}} as GET /api/limits publishes them."""
        return {k: {"value": getattr(self, k), "description": d} for k, (_, d) in LIMIT_FIELDS.items()}


def _limit(name: str) -> Any:
    default, description = LIMIT_FIELDS[name]
    return Field(default, ge=1, description=description)


# name -> (default, description): the cost-aware budget (app/cost.py) and back-pressure
# (app/compute.py), in seconds of one compute worker; the cost_* constants are the engine's,
# calibrated on the reference machine (bench/worst.py lists the worst accepted request of each endpoint)
BUDGET_FIELDS: dict[str, tuple[float, str]] = {
    # 4.5, not 5: the estimates are within about 10 % of the measured CPU time (bench/worst.py), and the
    # worst accepted request must stay under 5 s
    "max_request_seconds": (4.5, "estimated compute seconds of one request (a 422 above says by how much)"),
    "max_queue_seconds": (6.0, "estimated seconds of admitted work per worker before a 503 with Retry-After"),
    "cost_update_seconds": (2.5e-5, "cost estimate: one optimizer update in the lockstep runner"),
    # a (surface, optimizer) pair the compiled kernels cover (engine/kernels) steps ~100× faster: the
    # update itself is ~0.1 µs; measured over HTTP, shaping, serializing and sending its iterate cost
    # ~3 µs more (12 optimizers × 20 000 steps: 0.71 s of server CPU, 18.7 MB)
    "cost_kernel_update_seconds": (3e-6, "cost estimate: one update of a pair the compiled kernels cover"),
    "cost_output_seconds": (1e-7, "cost estimate: one iterate (or grid value) shaped and serialized"),
    "cost_batch_step_seconds": (1e-4, "cost estimate: the fixed part of one batched update"),
    "cost_batch_point_seconds": (5e-8, "cost estimate: one point of one batched update"),
    "cost_mac_seconds": (1.2e-9, "cost estimate: one multiply-add of network training"),
    "cost_compile_seconds": (1.0, "cost estimate: compiling a formula not seen before"),
    "cost_stream_factor": (1.35, "cost estimate: a streamed run over the same run at once (chunking)"),
    # a stream line costs a hop into a worker, its serialization and its send: measured 0.44 ms (12
    # compiled optimizers × 20 000 steps, 3 770 lines: 1.65 s of server CPU)
    "cost_stream_line_seconds": (5e-4, "cost estimate: at least this per NDJSON line of a streamed run"),
}


class Budget(BaseModel):
    """The budget and cost constants, a frozen view of the settings."""

    model_config = ConfigDict(frozen=True)

    max_request_seconds: float = BUDGET_FIELDS["max_request_seconds"][0]
    max_queue_seconds: float = BUDGET_FIELDS["max_queue_seconds"][0]
    cost_update_seconds: float = BUDGET_FIELDS["cost_update_seconds"][0]
    cost_kernel_update_seconds: float = BUDGET_FIELDS["cost_kernel_update_seconds"][0]
    cost_output_seconds: float = BUDGET_FIELDS["cost_output_seconds"][0]
    cost_batch_step_seconds: float = BUDGET_FIELDS["cost_batch_step_seconds"][0]
    cost_batch_point_seconds: float = BUDGET_FIELDS["cost_batch_point_seconds"][0]
    cost_mac_seconds: float = BUDGET_FIELDS["cost_mac_seconds"][0]
    cost_compile_seconds: float = BUDGET_FIELDS["cost_compile_seconds"][0]
    cost_stream_factor: float = BUDGET_FIELDS["cost_stream_factor"][0]
    cost_stream_line_seconds: float = BUDGET_FIELDS["cost_stream_line_seconds"][0]


def _budget(name: str) -> Any:
    default, description = BUDGET_FIELDS[name]
    return Field(default, gt=0, description=description)


class Settings(BaseSettings):
    """Every setting, each from LOSSLAB_<NAME> (e.g. LOSSLAB_MAX_STEPS, LOSSLAB_CORS_ORIGINS)."""

    model_config = SettingsConfigDict(env_prefix="LOSSLAB_", frozen=True, extra="ignore")

    max_steps: int = _limit("max_steps")
    max_optimizers: int = _limit("max_optimizers")
    max_grid_n: int = _limit("max_grid_n")
    max_basin_n: int = _limit("max_basin_n")
    max_phase_n: int = _limit("max_phase_n")
    max_body_bytes: int = _limit("max_body_bytes")
    max_hidden_width: int = _limit("max_hidden_width")
    max_depth: int = _limit("max_depth")
    max_dataset_n: int = _limit("max_dataset_n")
    max_network_steps: int = _limit("max_network_steps")
    max_plane_n: int = _limit("max_plane_n")
    max_batch_work: int = _limit("max_batch_work")
    max_sweep_work: int = _limit("max_sweep_work")
    max_sweep_cells: int = _limit("max_sweep_cells")
    max_sweep_seeds: int = _limit("max_sweep_seeds")
    max_request_seconds: float = _budget("max_request_seconds")
    max_queue_seconds: float = _budget("max_queue_seconds")
    cost_update_seconds: float = _budget("cost_update_seconds")
    cost_kernel_update_seconds: float = _budget("cost_kernel_update_seconds")
    cost_output_seconds: float = _budget("cost_output_seconds")
    cost_batch_step_seconds: float = _budget("cost_batch_step_seconds")
    cost_batch_point_seconds: float = _budget("cost_batch_point_seconds")
    cost_mac_seconds: float = _budget("cost_mac_seconds")
    cost_compile_seconds: float = _budget("cost_compile_seconds")
    cost_stream_factor: float = _budget("cost_stream_factor")
    cost_stream_line_seconds: float = _budget("cost_stream_line_seconds")
    cors_origins: str = Field("", description="comma-separated origins allowed by CORS; empty = closed")
    log_level: str = Field("info", description="level of the 'losslab' logger")
    # Stream chunks are cut every 64 steps, not by the clock: the same request then gives the same
    # bytes (a 2D step costs microseconds, so 64 steps of 12 optimizers stay well under 20 ms).
    # A finite value adds a time cut for slow custom surfaces, at the price of byte-determinism.
    stream_chunk_steps: int = Field(64, ge=1, description="steps per NDJSON chunk")
    stream_chunk_seconds: float = Field(float("inf"), gt=0, description="also cut a chunk after this long")
    # sweeps run on Dask: an existing scheduler (tcp://host:port), or None for an in-process
    # LocalCluster started on the first sweep with `dask_workers` processes (0: one per core)
    dask_scheduler: str | None = Field(None, description="Dask scheduler address for sweeps; unset = local cluster")
    dask_workers: int = Field(0, ge=0, description="worker processes of the local sweep cluster (0: one per core)")
    workers: int = Field(0, ge=0, description="compute workers of the request limiter (0: one per core, at least 2)")
    kernels: bool = Field(True, description="compiled (numba) stepping kernels for the covered surface/optimizer "
                                            "pairs; 0 = numpy path only (same numbers, slower)")

    @property
    def limits(self) -> Limits:
        return Limits(**{k: getattr(self, k) for k in LIMIT_FIELDS})

    @property
    def budget(self) -> Budget:
        return Budget(**{k: getattr(self, k) for k in BUDGET_FIELDS})

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
