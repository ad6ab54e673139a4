"""Classroom-ready (issue 19): presentation mode, dark theme contrast, phone widths, no truncated table
cells, what the lessons show, custom-formula minima, the keyboard path and colours keyed by optimizer.

Lean on purpose: one browser, few page loads (viewports are resized on a loaded page where possible).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import _make_tab, settle

STATE = "() => window.__losslab.state"
LAST = "() => window.__losslab.lastRun"

# Every visible element that owns text: its computed font size (SVG text included: Plotly's ticks).
MIN_FONT = """() => {
  let min = Infinity, where = "";
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.tagName === "tspan") continue; // Plotly's exponents (10⁻⁸): part of their tick label
    const r = el.getClientRects();
    if (!r.length || getComputedStyle(el).visibility === "hidden") continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min) { min = size; where = el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 30); }
  }
  return [min, where];
}"""

BOX = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, h: r.height, w: r.width}; }"""

TRUNCATED = """() => [...document.querySelectorAll("td, th, .table-wrap")]
  .filter((c) => c.getClientRects().length && c.scrollWidth > c.clientWidth + 1)
  .map((c) => c.textContent.trim().slice(0, 40))"""

OVERFLOW = """() => ({doc: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
  wide: [...document.querySelectorAll("body *")].filter((e) => e.getClientRects().length
    && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    && !e.closest(".js-plotly-plot, .table-wrap")).slice(0, 5).map((e) => e.tagName + "." + e.className)})"""

# WCAG contrast of the theme's text and of every optimizer colour against every contour fill.
CONTRAST = """async () => {
  const style = await import("/static/js/optimizer-style.js");
  const rgb = (c) => { const d = document.createElement("div"); d.style.color = c; document.body.append(d);
    const m = getComputedStyle(d).color.match(/[\\d.]+/g).map(Number); d.remove(); return m; };
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  const text = [];
  for (const fg of ["--ink", "--ink-2", "--muted", "--good", "--bad", "--focus"]) {
    for (const bg of ["--bg", "--panel", "--panel-2"]) text.push(ratio(v(fg), v(bg)));
  }
  const gd = document.querySelector("#contour");
  const layer = document.querySelector("#contour-surface"); // the filled contour, under the paths' figure
  const scale = layer.data.find((t) => t.type === "contour").colorscale.map((p) => p[1]);
  const paths = [];
  for (const name of Object.keys(style.STYLE).concat(["not-registered-yet"])) {
    const c = style.baseColor(name);
    for (const fill of scale.concat([v("--panel")])) paths.push(ratio(c, fill));
  }
  const drawn = gd.data.filter((t) => (t.uid || "").startsWith("path")).map((t) => t.line.color);
  return {text: Math.min(...text), paths: Math.min(...paths), scale, drawn};
}"""


@pytest.fixture
def small_tab(context, server_url):
    t = _make_tab(context, server_url, {"width": 1024, "height": 768})
    yield t
    t.page.close()


def test_presentation_mode_fits_plot_theory_and_loss_chart_at_1024x768_and_1280x720(small_tab):
    page = small_tab.page
    page.goto(small_tab.base + "/?present=1")
    settle(page)
    assert page.evaluate("() => document.documentElement.dataset.present") == "1"
    assert page.get_by_test_id("present-toggle").get_attribute("aria-pressed") == "true"
    for width, height in ((1024, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)  # Plotly's responsive resize
        for sel in ("#contour", "#theory", "#chart-loss"):
            box = page.evaluate(BOX, sel)
            assert box["h"] > 80 and box["top"] >= 0 and box["bottom"] <= height + 0.5, (width, sel, box)
            assert box["left"] >= 0 and box["right"] <= width, (width, sel, box)
        size, where = page.evaluate(MIN_FONT)
        assert size >= 16, f"{width}x{height}: {size}px at {where}"
        assert page.evaluate(TRUNCATED) == [], width  # the theory table fits its card
        assert page.evaluate(OVERFLOW)["doc"] <= width
    # secondary controls are hidden, the optimizers stay; paths are drawn at least 3 px wide
    assert page.get_by_test_id("surface-select").is_hidden() and page.get_by_test_id("export-csv").is_hidden()
    assert page.get_by_test_id("optimizer-list").is_visible()
    widths = page.evaluate("() => document.querySelector('#contour').data"
                           ".filter((t) => (t.uid || '').startsWith('path')).map((t) => t.line.width)")
    assert widths and min(widths) >= 3
    small_tab.shot("present-1280x720")
    small_tab.assert_clean()


def test_dark_theme_follows_the_system_keeps_aa_contrast_and_toggles_live(tab):
    page = tab.page
    page.emulate_media(color_scheme="dark")
    tab.open()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    toggle = page.get_by_test_id("theme-toggle")
    assert toggle.get_attribute("aria-pressed") == "true"
    dark = page.evaluate(CONTRAST)
    assert dark["text"] >= 4.5 and dark["paths"] >= 3.0, dark
    assert dark["scale"][0] == "#0e1726"  # the dark contour scale
    default_colors = page.evaluate("() => window.__losslab.colors")
    assert default_colors[0] == "#5cb3ff" and dark["drawn"][0] == "#5cb3ff"  # GD's dark shade
    tab.shot("dark-paths")
    try:
        toggle.click()  # live: figures are recoloured without a reload, and the choice is remembered
        page.wait_for_function("() => document.documentElement.dataset.theme === 'light'")
        page.wait_for_timeout(300)
        light = page.evaluate(CONTRAST)
        assert light["text"] >= 4.5 and light["paths"] >= 3.0, light
        assert light["scale"][0] == "#9fb6cf" and light["drawn"][0] == "#0a5a9c"
        assert page.evaluate("() => localStorage.getItem('losslab-theme')") == "light"
    finally:
        page.evaluate("() => localStorage.removeItem('losslab-theme')")
    tab.assert_clean()


def test_phone_widths_have_no_horizontal_overflow_and_the_optimizers_sit_under_the_plot(context, server_url):
    tab = _make_tab(context, server_url, {"width": 390, "height": 844})
    page = tab.page
    try:
        tab.open("#lesson=stability-cliff")
        for width in (360, 390, 430):
            page.set_viewport_size({"width": width, "height": 844})
            try:  # Plotly resizes its figures on a debounced window resize
                page.wait_for_function("(w) => document.documentElement.scrollWidth <= w", arg=width, timeout=3000)
            except Exception:
                pass  # the assertion below reports what overflows
            out = page.evaluate(OVERFLOW)
            assert out["doc"] <= width and not out["wide"], (width, out)
            csv = page.evaluate(BOX, "[data-testid=export-csv]")
            assert csv["right"] <= width and csv["left"] >= 0
            plot, opts, theory = (page.evaluate(BOX, s) for s in ("#contour", "#optimizer-list", "#theory"))
            assert plot["bottom"] < opts["top"] < theory["top"]  # plot, then the optimizers, then the theory
            assert opts["top"] - plot["bottom"] < 320  # the η sliders: scrubber, legend and readout away (was ~700 px)
            assert page.evaluate(TRUNCATED) == []
        # Plotly's mode bar does not sit on the plot's notes ("diverged at step 335")
        modebar = page.locator("#contour > .plot-container .modebar-container")  # not the surface layer's
        assert modebar.evaluate("(e) => getComputedStyle(e).display") == "none"
        tab.shot("phone-390-lesson-2")
        tab.assert_clean()
    finally:
        page.close()


def test_no_table_cell_is_truncated_at_desktop_widths(tab):
    page = tab.page
    tab.open("#lesson=stability-cliff")
    for width in (1440, 1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        assert page.evaluate(TRUNCATED) == [], width
    cells = page.get_by_test_id("theory-table").locator("td, th").all_inner_texts()
    assert any(re.search(r"✕ step \d{3}", c) for c in cells) and any("ρ measured" in c for c in cells)
    tab.assert_clean()


def test_lesson_1_shows_what_it_says_and_colours_follow_the_optimizer(tab):
    page = tab.page
    tab.open("#lesson=ill-conditioning")
    notice = page.get_by_test_id("lesson-notice").locator("p").text_content()
    best, small = page.evaluate(LAST)["runs"]
    assert best["loss"][-1] < small["loss"][-1] / 800  # "ends 816× lower after 600 steps"
    assert best["loss"][248] >= small["loss"][248] and best["loss"][249] < small["loss"][249]  # "overtakes at step 249"
    assert "step 249" in notice and "816×" in notice
    gd_colors = page.evaluate("() => window.__losslab.colors")
    assert gd_colors[0] == "#0a5a9c" and gd_colors[1] != gd_colors[0]  # GD's colour, a shade of it for the second run
    # Lesson 6: Adam is Adam's pink, as in the default scene (was green: colour followed list position)
    tab.open("#lesson=many-minima")
    names = page.get_by_test_id("legend").locator(".legend-name").all_inner_texts()
    assert names == ["GD", "Momentum", "Adam"]
    assert page.evaluate("() => window.__losslab.colors") == ["#0a5a9c", "#a33a00", "#a3246e"]
    tab.assert_clean()


def test_use_optimal_sets_nesterov_and_names_the_optimizers_without_an_optimum(tab):
    page = tab.page
    tab.open()
    v = tab.version()
    page.get_by_test_id("use-optimal").click()
    settle(page, v)
    toast = page.locator("#toast").inner_text()
    assert "Nesterov" in toast and "No closed-form optimum for Adam" in toast
    theory = page.evaluate(LAST)["theory"]
    opts = page.evaluate(STATE)["opt"]
    nesterov = next(i for i, o in enumerate(opts) if o["name"] == "nesterov")
    best = theory["runs"][nesterov]["optimal"]
    assert opts[nesterov]["lr"] == pytest.approx(best["lr"], rel=1e-5)
    assert opts[nesterov]["momentum"] == pytest.approx(best["momentum"], rel=1e-5)
    kappa = theory["kappa"]
    assert theory["runs"][nesterov]["predicted_rate"] == pytest.approx(1 - 2 / (3 * kappa + 1) ** 0.5, rel=1e-4)
    tab.assert_clean()


def test_custom_formula_minima_drive_the_distance_chart_and_log_levels(tab):
    page = tab.page
    tab.open("#surface=custom&start=-3,3&opt=gd(lr=0.03)")
    assert page.get_by_test_id("log-levels").is_enabled()
    assert "f − f*" in page.locator("#loss-unit").inner_text()
    dist = page.evaluate("() => document.querySelector('#chart-dist').data.filter((t) => t.y && t.y.length > 10)"
                         ".map((t) => t.y[t.y.length - 1])")
    assert dist and dist[0] < 1e-3  # GD ends next to the minimum the search found at (0, 0)
    stars = page.evaluate("() => document.querySelector('#contour').data.find((t) => t.uid === 'minima')")
    assert stars["x"] == pytest.approx([0.0], abs=1e-9) and stars["y"] == pytest.approx([0.0], abs=1e-9)
    # outside the function's domain: the page says so instead of a bare "diverged at step 1"
    page.goto(tab.base + "/?reload=1#surface=custom&fexpr=log(x)%20%2B%20y**2&start=-3,3&opt=gd(lr=0.03)")
    settle(page)
    assert page.get_by_test_id("start-undefined").is_visible()
    assert "outside the function's domain" in page.get_by_test_id("start-undefined").inner_text()
    tab.assert_clean()


def test_skip_link_leads_to_the_first_control_and_basins_opens_on_many_minima(tab):
    page = tab.page
    tab.open()
    page.keyboard.press("Tab")  # the first skip link leads to the plot (tests/e2e/test_layout.py), the second here
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the controls"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "surface-select"
    # from Paths on the one-minimum quadratic, Basins opens on Himmelblau's four minima
    page.locator("[data-view-tab=basins]").click()
    page.wait_for_function("() => window.__losslab.state.surface === 'himmelblau'")
    assert "single basin" in page.locator("#toast").inner_text()
    tab.assert_clean()
