"""The Dask cluster behind sweeps: an existing scheduler, or a LocalCluster started on first use.

`SweepCluster(address)` connects to `address` (tcp://host:port) when given; otherwise the
first call of `client()` starts a LocalCluster of worker processes (one thread each: numpy work
in Python loops wants processes, not threads) on 127.0.0.1, sized to the machine. `close()`
shuts down what this object started (the app calls it on shutdown).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger("losslab")


class SweepCluster:
    def __init__(self, address: str | None = None, workers: int = 0) -> None:
        self.address = address
        self.workers = workers
        self._lock = threading.Lock()
        self._client: Any = None
        self._cluster: Any = None

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

    def warm(self) -> None:
        """Start connecting (or the LocalCluster) in the background, so the first sweep finds it ready."""
        if self._client is None and not self._lock.locked():
            threading.Thread(target=self._warm, name="losslab-dask-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.client()
        except Exception as exc:  # the next sweep reports it properly
            log.warning("sweeps: starting Dask failed: %s", exc)

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
