"""`losslab sweep SPEC.json --out results.csv [--scheduler tcp://host:8786] [--workers N]`.

SPEC.json is an `/api/sweep` body. Without `--scheduler` a LocalCluster sized to the machine is
started for the run and closed after it. The CLI is not bounded by the server's sweep limits (it
spends your own machine's or cluster's time); every cell is still validated like a request.
Progress goes to stderr; the table (app/sweep/table.py) to --out (.csv, or .parquet with pandas).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from app.errors import EngineInputError
from app.schemas.sweep import SweepRequest, plan
from app.settings import Limits
from app.sweep.cluster import SweepCluster
from app.sweep.runner import SweepRun
from app.sweep.table import rows, write

UNBOUNDED = {"max_sweep_work": 10**30, "max_sweep_cells": 10**9}


def _unbounded() -> Limits:
    return Limits().model_copy(update=UNBOUNDED)


def bar(done: int, total: int, seconds: float, width: int = 30) -> str:
    filled = int(width * done / max(total, 1))
    return f"\rsweep [{'#' * filled}{'.' * (width - filled)}] {done}/{total} cells  {seconds:6.1f} s"


def run_sweep(spec: str, out: str, scheduler: str | None = None, workers: int = 0, err: TextIO = sys.stderr) -> int:
    """Run the sweep in `spec`, write the table to `out`; 0 on success, 2 on a bad spec, 130 on ^C."""
    try:
        body = SweepRequest.model_validate(json.loads(Path(spec).read_text()))
        prepared = plan(body, _unbounded())
    except (OSError, ValueError) as exc:  # unreadable file or bad JSON
        if isinstance(exc, ValidationError):
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        elif isinstance(exc, EngineInputError):
            problems = f"{'.'.join(map(str, exc.loc))}: {exc.message}"
        else:
            problems = str(exc)
        print(f"losslab sweep: {spec}: {problems}", file=err)
        return 2
    cluster = SweepCluster(scheduler, workers)
    run = None
    try:
        print(f"sweep: {len(prepared.cells)} cells x {prepared.count} seeds = {len(prepared.jobs)} trainings; "
              f"starting {'a client of ' + scheduler if scheduler else 'a local Dask cluster'}", file=err)
        run = SweepRun(cluster.client(), prepared, cluster.n_workers())
        began, cells = time.perf_counter(), []
        while (cell := run.next_cell()) is not None:
            cells.append(cell)
            print(bar(len(cells), len(prepared.cells), time.perf_counter() - began), end="", file=err, flush=True)
        write(rows(prepared.axes, cells), out)
        meta = run.meta()
        print(f"\n{meta['trainings']} trainings in {meta['seconds']:.1f} s on {len(meta['workers'])} workers "
              f"({meta['trainings'] / max(meta['seconds'], 1e-9):.1f} trainings/s, {meta['tasks']} tasks) -> {out}",
              file=err)
        return 0
    except KeyboardInterrupt:
        print("\nsweep: cancelled", file=err)
        return 130
    finally:
        if run is not None:
            run.cancel()
        cluster.close()
