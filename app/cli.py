"""`losslab serve [--host H] [--port P] [--reload]`: start uvicorn on app.main:app.
`losslab sweep SPEC.json --out results.csv [--scheduler tcp://host:8786]`: see app/sweep/cli.py."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
ARENAS = 2


def limit_malloc_arenas() -> None:
    """At most two glibc malloc arenas: with one arena per worker thread, memory freed after a
    burst of concurrent requests stays in the arenas and RSS never comes back down. The variable
    covers child processes (--reload); mallopt covers this one, whose malloc already started."""
    os.environ.setdefault("MALLOC_ARENA_MAX", str(ARENAS))
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))
    except (OSError, AttributeError, ValueError):  # not glibc (macOS, musl): nothing to tune
        pass


def single_blas_thread() -> None:
    """OPENBLAS_NUM_THREADS=1 for a server process, unless set (an explicit setting wins). Requests
    already run in parallel in the compute workers, and a multithreaded BLAS on top of that
    oversubscribes the cores (a 61² network plane went from 3.7 s to 93 s under load); it changes
    no number (the engine keeps per-point math out of BLAS, the network's layers are compiled
    loops). OpenBLAS reads the variable when it loads, i.e. when numpy is first imported, so the
    entry points set it before importing the app: `losslab serve` here, the Docker image by its
    ENV, Dask's workers by Dask's own default (distributed.nanny.pre-spawn-environ). Importing the
    app (or the client, in a notebook) leaves the process's BLAS alone."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="losslab", description="loss-surface visualizer")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the page and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="reload on code changes (development)")
    sweep = sub.add_parser("sweep", help="run a sweep (an /api/sweep body) on Dask and write its table")
    sweep.add_argument("spec", help="JSON file holding the /api/sweep body")
    sweep.add_argument("--out", required=True, help="results table: .csv (or .parquet with pandas)")
    sweep.add_argument("--scheduler", default=None, help="tcp://host:port of an existing Dask scheduler")
    sweep.add_argument("--workers", type=int, default=0, help="local worker processes (default: one per core)")
    args = parser.parse_args(argv)
    if args.command == "sweep":
        from app.sweep.cli import run_sweep

        raise SystemExit(run_sweep(args.spec, args.out, args.scheduler, args.workers))
    single_blas_thread()  # before uvicorn imports the app, and numpy with it
    import uvicorn

    limit_malloc_arenas()
    # httptools (a dependency): the C parser; uvicorn's "auto" would fall back to h11 without a word
    uvicorn.run("app.main:app", host=args.host, port=args.port, reload=args.reload, http="httptools")


if __name__ == "__main__":
    main()
