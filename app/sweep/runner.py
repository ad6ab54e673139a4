"""Cut a sweep plan into Dask tasks, submit them, and assemble cells as their replicates arrive.

How tasks are cut: jobs that can share a batch (same `engine.sweep.group_key`: data,
architecture, steps, minibatch order) are sliced into tasks of about
clamp(total / (4 · workers), 0.2 s, 0.5 s) of estimated work each, so every task is at least
0.2 s (task overhead is a few ms) and there are enough tasks to keep every worker busy and to
stream cells early; each group's first task is cut to 0.2 s, since the first cells need a task of
every group (one per replicate when replicates vary the data seed). Tasks are submitted in cell
order with decreasing priority, so the first cells (all their replicates) complete first. A
killed worker's tasks are recomputed by Dask elsewhere; being pure, they give the same numbers.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from math import ceil
from typing import Any

from app.schemas.sweep import Plan
from app.sweep.tasks import run_task
from engine.sweep import aggregate, group_key

RATE = 4e9  # multiply-adds per second of one worker on batched small-network training (compiled layers), measured
# ≥ 0.2 s per task (Dask's overhead is a few ms); ≤ 0.5 s so the first cells, which need a task from every
# replicate's group (a data seed each), arrive within about two seconds
MIN_TASK_SECONDS, MAX_TASK_SECONDS = 0.2, 0.5


def cut_tasks(plan: Plan, workers: int) -> list[list[int]]:
    """Job indices per task, ordered by the first cell each task serves."""
    groups: dict[str, list[int]] = {}
    for i, job in enumerate(plan.jobs):
        groups.setdefault(group_key(job), []).append(i)
    total = plan.total_work / RATE
    target = min(MAX_TASK_SECONDS, max(MIN_TASK_SECONDS, total / (4 * max(1, workers))))
    tasks: list[list[int]] = []
    for members in groups.values():
        per_job = max(sum(plan.work[i] for i in members) / RATE / len(members), 1e-9)
        # the group's first task is the smallest allowed: the first cells need one task of every group
        first = min(len(members), max(1, round(MIN_TASK_SECONDS / per_job))) if target > MIN_TASK_SECONDS else 0
        head, rest = members[:first], members[first:]
        if head:
            tasks.append(head)
        if rest:
            n_tasks = max(1, ceil(len(rest) / max(1, round(target / per_job))))
            size = ceil(len(rest) / n_tasks)
            tasks.extend(rest[k:k + size] for k in range(0, len(rest), size))
    tasks.sort(key=lambda task: min(plan.owners[i][0] for i in task))
    return tasks


def seed_entry(plan: Plan, job: dict[str, Any], j: int, result: dict[str, Any]) -> dict[str, Any]:
    from app.schemas.sweep import model_seed

    entry = {"replicate": j, **result}
    entry["seed_values"] = {name: model_seed(job, plan.kind, name) for name in plan.vary}
    return entry


class SweepRun:
    """Submitted tasks of one sweep; `next_cell()` blocks until a cell completes (None at the end)."""

    def __init__(self, client: Any, plan: Plan, workers: int) -> None:
        self.plan, self.client = plan, client
        self.began = time.perf_counter()
        self.tasks = cut_tasks(plan, workers)
        tag = uuid.uuid4().hex[:12]
        n = len(self.tasks)
        self.futures = [client.submit(run_task, [plan.jobs[i] for i in task], key=f"sweep-{tag}-{k}",
                                      priority=n - k, pure=False) for k, task in enumerate(self.tasks)]
        self.task_of = {f.key: k for k, f in enumerate(self.futures)}
        self.pending = set(self.futures)
        self.entries: list[list[dict | None]] = [[None] * plan.count for _ in plan.cells]
        self.missing = [plan.count] * len(plan.cells)
        self.ready: deque[dict[str, Any]] = deque()
        self.workers: set[str] = set()
        self.stopped = threading.Event()

    def next_cell(self, poll: float = 0.05) -> dict[str, Any] | None:
        while not self.ready:
            if not self.pending or self.stopped.is_set():
                return None
            done = [future for future in self.pending if future.done()]
            if not done:
                time.sleep(poll)  # polled so that cancel() is seen within `poll` seconds
            for future in done:
                self._collect(future)
        return self.ready.popleft()

    def _collect(self, future) -> None:
        self.pending.discard(future)
        out = future.result()  # re-raises a task's exception
        if out.get("worker"):
            self.workers.add(out["worker"])
        for i, result in zip(self.tasks[self.task_of[future.key]], out["results"], strict=True):
            self._store(i, result)

    def _store(self, i: int, result: dict[str, Any]) -> None:
        c, j = self.plan.owners[i]
        self.entries[c][j] = seed_entry(self.plan, self.plan.jobs[i], j, result)
        self.missing[c] -= 1
        if self.missing[c] == 0:
            self.ready.append(self.cell(c))

    def cell(self, c: int) -> dict[str, Any]:
        index, values = self.plan.cells[c]
        seeds = [e for e in self.entries[c] if e is not None]
        return {"index": list(index), "values": values, "seeds": seeds, **aggregate(seeds)}

    def meta(self) -> dict[str, Any]:
        return {"cells": len(self.plan.cells), "trainings": len(self.plan.jobs),
                "seconds": round(time.perf_counter() - self.began, 3), "tasks": len(self.tasks),
                "workers": sorted(self.workers)}

    def cancel(self) -> None:
        """Stop waiting and cancel every task not finished yet."""
        self.stopped.set()
        pending = [f for f in self.futures if not f.done()]
        if pending:
            self.client.cancel(pending)

    def all_cells(self) -> list[dict[str, Any]]:
        """Every cell, in row-major order of the axes."""
        out = []
        while (cell := self.next_cell()) is not None:
            out.append(cell)
        if len(out) != len(self.plan.cells):
            raise RuntimeError("the sweep was cancelled")
        order = {tuple(cell["index"]): cell for cell in out}
        return [order[index] for index, _ in self.plan.cells]


def inline_seconds(plan: Plan) -> float:
    """Estimated compute seconds of the whole sweep on one core (the price an in-process run is admitted at)."""
    return plan.total_work / RATE


def run_inline(plan: Plan) -> list[dict[str, Any]]:
    """Every job's result computed here, by the engine call a Dask task makes (so the same numbers)."""
    return run_task(plan.jobs)["results"]


class InlineRun(SweepRun):
    """A sweep computed in the server process (through app/compute.py's limiter, within the
    per-request budget) while the Dask cluster is still starting; reads like a finished SweepRun
    (no workers: `meta()["workers"]` is empty)."""

    def __init__(self, plan: Plan, results: list[dict[str, Any]], began: float) -> None:
        self.plan, self.client, self.began = plan, None, began
        self.tasks = [list(range(len(plan.jobs)))]
        self.futures, self.task_of, self.pending = [], {}, set()
        self.entries = [[None] * plan.count for _ in plan.cells]
        self.missing = [plan.count] * len(plan.cells)
        self.ready = deque()
        self.workers = set()
        self.stopped = threading.Event()
        for i, result in enumerate(results):
            self._store(i, result)
