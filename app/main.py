"""App factory. Routers are discovered from app/api/routes/*.py (each module exports `router`)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from app import limits as request_limits
from app.api import routes as routes_package
from app.cli import limit_malloc_arenas
from app.compression import CompressionMiddleware, ImmutableStaticFiles, asset_version
from app.compute import compute_abandonable
from app.errors import install_error_handlers
from app.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from app.responses import SafeJSONResponse
from app.settings import Settings, get_settings
from app.sweep.cluster import SweepCluster
from app.version import VERSION
from engine import kernels
from engine.nn import kernel as network_layers

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = """See how optimizers move on loss surfaces.

Exact surfaces (analytic or symbolic derivatives), optimizers with `torch.optim`'s exact
semantics, the closed-form theory of the quadratic case, and trajectories streamed as NDJSON.
Non-finite numbers are sent as `null`; bad input is a 422 naming the field; a body over 1 MiB is a 413.
Every request is priced before it runs: one over the compute budget is a 422 that says by how much
and what to lower; when the compute queue is full the answer is a 503 with `Retry-After` (retry
then). An NDJSON stream ends with a `done` (or `error`) line: one that ends without it was cut off.
"""


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_warm)
        yield
        tasks.cancel_scope.cancel()  # shutdown does not wait for it
    await anyio.to_thread.run_sync(app.state.sweeps.close)  # the Dask cluster a sweep may have started


async def _warm() -> None:
    """Load the compiled code in a compute worker while the server already answers: the stepping
    kernels (the first /api/run would otherwise pay ~1.6 s), then the network's layers (the first
    /api/network/train, ~0.6-1.6 s). A request needing them meanwhile waits for the import. Once
    per process: a later app's lifespan (TestClient in the tests) finds them loaded (~0.1 ms).
    sympy is not warmed (~0.8 s more of CPU after every start, while the first page load is served):
    the first formula imports it in a worker (app/compute.py)."""
    for step in (kernels.warm, network_layers.warm):
        try:
            await compute_abandonable(step)
        except Exception:  # an optimization only: the first request that needs it loads it (or says why not)
            logging.getLogger("losslab").warning("warm-up step %s failed", step.__name__, exc_info=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.getLogger("losslab").setLevel(settings.log_level.upper())
    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI / ReDoc from the installed package
    app: FastAPI = FastAPIOffline(title="losslab", version=VERSION, description=DESCRIPTION,
                                  default_response_class=SafeJSONResponse, favicon_url="/static/favicon.svg",
                                  lifespan=lifespan)
    app.state.settings = settings
    kernels.set_enabled(settings.kernels)  # the engine reads no environment: the setting is handed to it
    app.state.active_streams = 0
    app.state.sweeps = SweepCluster(settings.dask_scheduler, settings.dask_workers)
    for module_info in sorted(pkgutil.iter_modules(routes_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes_package.__name__}.{module_info.name}")
        if hasattr(module, "router"):
            app.include_router(module.router)
    static = ROOT / "static"
    if static.is_dir():
        # /static/<content hash>/... is cached for a year (the page links there); /static/... stays for old links
        app.mount(f"/static/{asset_version()}", ImmutableStaticFiles(directory=static), name="static-versioned")
        app.mount("/static", StaticFiles(directory=static), name="static")
    install_error_handlers(app)
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origin_list),
                           allow_methods=["GET", "POST"], allow_headers=["content-type"])
    app.add_middleware(CompressionMiddleware)  # innermost: gzip (not NDJSON streams), immutable assets once
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.limits.max_body_bytes)
    request_limits.install(app, settings.limits)  # schemas' bounds: per-request 422 and OpenAPI
    _headers_outermost(app)
    return app


def _headers_outermost(app: FastAPI) -> None:
    """Security headers on every answer: wrap the whole stack, including Starlette's
    ServerErrorMiddleware (which sends 500s outside any middleware added with add_middleware)."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeadersMiddleware(build())  # type: ignore[method-assign]


__all__ = ["RequestValidationError", "create_app"]
limit_malloc_arenas()  # every entry point (uvicorn app.main:app too): see app/cli.py
app = create_app()
