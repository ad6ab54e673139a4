"""The page: GET / renders templates/index.html; GET /vendor/plotly.min.js serves Plotly from the
installed `plotly` package, so the page works with no internet (the CSP allows only 'self')."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app.compression import asset_version
from app.schemas.runs import DEFAULT_SCENE

ROOT = Path(__file__).resolve().parents[3]
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter(include_in_schema=False)

# The views the nav offers, in order: (key, title). A view is a template partial
# templates/views/<key>.html plus an ES module static/js/views/<key>.js.
VIEWS = [("paths", "Paths"), ("basins", "Basins"), ("phase", "Phase"), ("tune", "Tune"), ("networks", "Networks"),
         ("sweep", "Sweep")]
YEAR = 365 * 24 * 3600


@lru_cache
def plotly_js() -> Path:
    """Path of plotly.min.js inside the installed plotly package (plotly/package_data/)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@lru_cache
def plotly_version() -> str:
    """plotly.js version from the bundle's banner (used to bust the long cache on upgrades)."""
    try:
        with plotly_js().open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(200)
        return head.split("plotly.js v", 1)[1].split()[0]
    except (OSError, IndexError):
        return "0"


@lru_cache
def js_modules() -> tuple[str, ...]:
    """Every ES module under static/js, for <link rel="modulepreload"> (flattens the import waterfall)."""
    base = ROOT / "static" / "js"
    return tuple(sorted(p.relative_to(base).as_posix() for p in base.rglob("*.js")))


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    limits = request.app.state.settings.limits
    config = {"default_scene": DEFAULT_SCENE, "views": [{"key": k, "title": t} for k, t in VIEWS],
              "limits": limits.model_dump()}  # the numbers GET /api/limits publishes
    return templates.TemplateResponse(request, "index.html", {
        "config_json": json.dumps(config, separators=(",", ":")), "views": VIEWS, "modules": js_modules(),
        "plotly_version": plotly_version(), "version": request.app.version,
        "static": f"/static/{asset_version()}"})


# V8's explicit compile hint (Chromium ≥ 136): compile every function while the script streams in, on a
# background thread, instead of lazily on the main thread as Plotly's start-up first calls each one. Measured
# in Chromium 156 on this machine: the bundle's main-thread evaluation shrinks by ~30-40 % (issue 20, first
# load). A comment line: the bundle's bytes follow unchanged; other browsers ignore it.
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"


@lru_cache
def plotly_body() -> bytes:
    return COMPILE_HINT + plotly_js().read_bytes()


@router.get("/vendor/plotly.min.js")
async def vendor_plotly() -> Response:
    if not plotly_js().is_file():
        raise HTTPException(404, "plotly.min.js not found in the installed plotly package")
    return Response(plotly_body(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": f"public, max-age={YEAR}, immutable"})
