"""The Dask cluster behind sweeps: an existing scheduler, or a LocalCluster started on first use.

`SweepCluster(address)` connects to `address` (tcp://host:port) when given; otherwise the
first call of `client()` starts a LocalCluster of worker processes (one thread each: numpy work
in Python loops wants processes, not threads) on 127.0.0.1, sized to the machine. `close()`
shuts down what this object started (the app calls it on shutdown).

The server never waits for a cold start: `ready_client(wait)` starts connecting in the background
and gives the client only if it is up within `wait` seconds; otherwise the route answers 503 with
Retry-After (`ClusterStarting`), which the page, `Client` and any HTTP client retry. The CLI and
the bench call the blocking `client()`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

from app.errors import Busy

log = logging.getLogger("losslab")
START_WAIT = 1.0  # seconds a sweep request waits for a cluster being started before its 503
RETRY_AFTER = 3  # seconds: a LocalCluster starts in ~2-5 s on 2 cores



def _load_kernels() -> bool:
    """On a worker: load the network's compiled layers (engine/nn/kernel.py) before the first task."""
    from engine.nn.kernel import warm

    return warm()


class ClusterStarting(Busy):
    """The Dask cluster is not connected yet (starting, or its scheduler unreachable): a 503 with Retry-After."""

    def __init__(self, detail: str) -> None:
        Exception.__init__(self, detail)
        self.retry_after = RETRY_AFTER


class SweepCluster:
    def __init__(self, address: str | None = None, workers: int = 0) -> None:
        self.address = address
        self.workers = workers
        self._lock = threading.Lock()
        self._client: Any = None
        self._cluster: Any = None
        self._state = threading.Lock()  # guards _starting
        self._starting = False  # a background start is under way
        self._started = threading.Event()  # set when a start attempt ends (connected or failed)
        self.error: str | None = None  # why the last background start failed

    def client(self):
        """The connected distributed.Client (blocking: starting a LocalCluster takes a few seconds)."""
        with self._lock:
            if self._client is not None and self._client.status in ("running", "connecting"):
                return self._client
            from distributed import Client, LocalCluster

            if self.address:
                self._client = Client(self.address, timeout=15, set_as_default=False)
            else:
                n = self.workers or max(1, os.cpu_count() or 1)
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                             dashboard_address=":0", worker_dashboard_address=":0",
                                             silence_logs=logging.ERROR)
                self._client = Client(self._cluster, set_as_default=False)
            log.info("sweeps: Dask client of %s", self._client.scheduler.address)
            return self._client

    def _up(self) -> Any:
        client = self._client
        return client if client is not None and client.status == "running" else None

    def warm(self) -> None:
        """Start connecting (or the LocalCluster) in the background, so the first sweep finds it ready."""
        with self._state:
            if self._up() is not None or self._starting:
                return
            self._starting = True
            self._started.clear()
        threading.Thread(target=self._warm, name="losslab-dask-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            client = self.client()
            with contextlib.suppress(Exception):  # a worker that cannot warm loads its kernels in its first task
                client.run(_load_kernels)  # ~1.6 s of numba cache per worker, not in the first cells' tasks
            self.error = None
        except Exception as exc:  # reported by the next sweep's 503, retried by its next request
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("sweeps: starting Dask failed: %s", self.error)
        finally:
            self._starting = False
            self._started.set()

    def ready_client(self, wait: float = START_WAIT):
        """The connected client, waiting at most `wait` s for a start under way (one is started in
        the background if none is); raises `ClusterStarting` if it is not up by then."""
        client = self._up()
        if client is not None:
            return client
        self.warm()
        self._started.wait(wait)
        client = self._up()
        if client is not None:
            return client
        what = f"the Dask scheduler {self.address}" if self.address else "the local Dask cluster"
        why = f" (last attempt: {self.error})" if self.error else ""
        raise ClusterStarting(f"sweeps: {what} is not connected yet{why}; retry in {RETRY_AFTER} s")

    def status(self) -> dict[str, Any]:
        """What the cluster looks like now, without waiting for it."""
        client = self._client
        if client is None or self._lock.locked():
            return {"ready": False, "scheduler": self.address, "workers": []}
        workers = sorted(client.scheduler_info(n_workers=-1).get("workers", {}))
        return {"ready": True, "scheduler": client.scheduler.address, "workers": workers}

    def n_workers(self) -> int:
        return max(1, len(self.client().scheduler_info(n_workers=-1).get("workers", {})))

    @property
    def started(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        with self._lock:
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception as exc:  # shutting down: report, never raise
                    log.warning("sweeps: closing %s failed: %s", type(thing).__name__, exc)
