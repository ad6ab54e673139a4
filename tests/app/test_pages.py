"""The page routes: GET / (HTML with external scripts only), Plotly served locally, the CSP header,
static assets, the ES-module import graph, and POST /api/surface (a surface at given params)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from app.schemas.runs import DEFAULT_SCENE

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def _config(page: str) -> dict:
    match = re.search(r"data-config='([^']*)'", page)
    assert match, "the body carries the page config in data-config"
    return json.loads(html.unescape(match.group(1)))


def test_index_is_html_with_display_then_the_module_and_no_inline_script(client):
    res = client.get("/")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    page = res.text
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 2
    # display.js first and blocking: it sets the theme and presentation mode before the first paint
    assert re.search(r'src="/static/[0-9a-f]{12}/js/display\.js"', scripts[0]) and "defer" not in scripts[0]
    # the module's URL carries the static tree's content hash (cached immutably, app/compression.py)
    assert 'type="module"' in scripts[1] and re.search(r'src="/static/[0-9a-f]{12}/js/main\.js"', scripts[1])
    # Plotly is loaded by static/js/plotly-loader.js after the first paint, from this versioned URL
    assert re.search(r'<body [^>]*data-plotly-src="/vendor/plotly\.min\.js\?v=[\w.]+"', page)
    # the CSP forbids inline scripts: every <script> has a src and an empty body
    assert re.findall(r"<script\b[^>]*>([^<]*)</script>", page) == ["", ""]
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert 'id="contour"' in page and 'data-testid="theory"' in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_index_config_carries_the_default_scene_and_limits(client):
    config = _config(client.get("/").text)
    assert config["default_scene"] == json.loads(json.dumps(DEFAULT_SCENE))
    assert config["default_scene"]["surface"] == {"name": "quadratic", "params": {"kappa": 50, "theta": 30}}
    assert [o["name"] for o in config["default_scene"]["optimizers"]] == ["gd", "momentum", "nesterov", "adam"]
    assert config["limits"]["max_optimizers"] == 12 and config["limits"]["max_steps"] == 20000
    assert config["views"][0] == {"key": "paths", "title": "Paths"}


def test_csp_header_allows_only_self_scripts(client):
    csp = client.get("/").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'self'"


def test_plotly_is_served_from_the_installed_package_with_a_long_cache(client):
    import plotly

    res = client.get("/vendor/plotly.min.js")
    assert res.status_code == 200
    assert "javascript" in res.headers["content-type"]
    assert "max-age=31536000" in res.headers["cache-control"]
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    # the package's bytes unchanged, after one comment line: V8's compile hint (app/api/routes/pages.py)
    assert res.content == b"//# allFunctionsCalledOnLoad\n" + bundled.read_bytes()
    assert res.content[:200].decode().find("plotly.js v") >= 0


def test_page_routes_are_not_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/vendor/plotly.min.js" not in paths
    assert "/api/surface" in paths


def test_static_assets_are_served(client):
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    css = client.get("/static/css/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = client.get("/static/js/main.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]


IMPORT = re.compile(r"""(?:^|\n)\s*import\s[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)""")


def test_every_relative_es_module_import_resolves_and_files_stay_small():
    """Walk the import graph from main.js and every view module (main.js imports views/<key>.js for
    each key of the server's VIEWS): every relative import names a file that exists."""
    from app.api.routes.pages import VIEWS

    seen, todo = set(), [STATIC / "js" / "main.js", *(STATIC / "js" / "views" / f"{key}.js" for key, _ in VIEWS)]
    for key, _ in VIEWS:
        assert (ROOT / "templates" / "views" / f"{key}.html").is_file()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path.is_file(), f"missing module {path.relative_to(ROOT)}"
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 420, f"{path.name} is too long"
        assert "eval(" not in text and "new Function" not in text  # the CSP has no 'unsafe-eval'
        for a, b in IMPORT.findall(text):
            todo.append((path.parent / (a or b)).resolve())
    names = {p.relative_to(STATIC / "js").as_posix() for p in seen}
    assert {"main.js", "state.js", "api.js", "views/paths.js", "plots/contour.js", "theory.js"} <= names


def test_surface_info_moves_stationary_points_with_params(client):
    res = client.post("/api/surface", json={"surface": {"name": "rosenbrock", "params": {"a": 2}}})
    assert res.status_code == 200
    body = res.json()
    assert body["name"] == "rosenbrock"
    assert body["minima"] == [{"x": 2.0, "y": 4.0, "f": 0.0}]
    quad = client.post("/api/surface", json={"surface": {"name": "quadratic", "params": {"kappa": 50}}}).json()
    assert quad["constant_hessian"] is True and quad["minima"] == [{"x": 0.0, "y": 0.0, "f": 0.0}]


def test_surface_info_rejects_unknown_names_with_the_allowed_list(client):
    res = client.post("/api/surface", json={"surface": {"name": "banana"}})
    assert res.status_code == 422
    msg = json.dumps(res.json()["detail"])
    assert "banana" in msg and "rosenbrock" in msg
