"""First load and the 3D view (issue 20): the controls paint before Plotly is even requested, the live canvas
draws the first frame (surface, paths, start) before Plotly has loaded, in the frame Plotly then lays out,
nothing shifts while the page fills in, and a path-only change in 3D leaves the surface mesh alone. Behaviour only:
the timings are in bench/lighthouse.py and bench/latency.py."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import settle

# before any page script: sum the layout shifts, and note whether Plotly had been requested or loaded when the
# surface formula (the page's largest text, Lighthouse's LCP element) first got its content
WATCH = """
window.__firstLoad = { cls: 0, shifts: [], formula: null };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) {
    window.__firstLoad.cls += e.value;
    window.__firstLoad.shifts.push(e.sources.map((s) => s.node && (s.node.id || s.node.className)).join('|'));
  }
}).observe({ type: 'layout-shift', buffered: true });
document.addEventListener('DOMContentLoaded', () => {
  const el = document.getElementById('surface-formula');
  new MutationObserver((_, obs) => {
    if (!el.textContent.trim()) return;
    const requested = !!document.querySelector('script[src*="plotly"]');
    window.__firstLoad.formula = { plotly: !!window.Plotly, requested, shown: !el.closest('[hidden]') };
    obs.disconnect();
  }).observe(el, { childList: true, subtree: true, characterData: true });
});
"""


def test_controls_paint_before_plotly_and_nothing_shifts(context, server_url):
    page = context.new_page()
    page.set_viewport_size({"width": 1350, "height": 940})  # Lighthouse's desktop screen
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.add_init_script(WATCH)
    html = page.goto(server_url + "/").text()
    assert "plotly.min.js" not in html.split("<body", 1)[0]  # not a <head> script any more
    settle(page)
    first = page.evaluate("() => window.__firstLoad")
    assert first["formula"] == {"plotly": False, "requested": False, "shown": True}, first
    assert page.evaluate("() => typeof window.Plotly") == "object"  # then it loads, and draws
    assert page.evaluate("() => document.getElementById('contour').data.length") > 0
    page.wait_for_timeout(400)  # the side charts and the theory panel fill in after the paths
    first = page.evaluate("() => window.__firstLoad")
    assert first["cls"] < 0.01, first["shifts"]
    assert problems == []
    page.close()


SPY = """() => {
  const gd = document.getElementById('surface3d');
  const obj = Object.values(gd._fullLayout.scene._scene.traces).find((o) => o.data.type === 'surface');
  if (!obj.surface.__spied) {
    const update = obj.surface.update;
    obj.surface.__spied = true;
    window.__meshBuilds = 0;
    // a mesh build is an update with new coordinates (contour-level updates from the render loop are not)
    obj.surface.update = function (p) {
      if (p && (p.coords || p.field)) window.__meshBuilds += 1;
      return update.call(this, p);
    };
  }
  return window.__meshBuilds;
}"""
PATH_X = "() => Array.from(document.getElementById('surface3d').data.find((t) => t.uid === 'path3d-0').x)"


def test_3d_path_change_keeps_the_surface_mesh_and_a_new_surface_rebuilds_it(tab):
    page = tab.page
    if not tab.open_3d():
        return
    assert page.evaluate(SPY) == 0
    before = page.evaluate(PATH_X)
    v = tab.version()
    page.locator("[data-testid=optimizer-list] > li:nth-child(1) [data-testid=opt-lr-range]").evaluate(
        "(el) => { el.value = '560'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    tab.settle(v)
    assert page.evaluate(PATH_X) != before  # GD's path was redrawn for the new η ...
    assert page.evaluate(SPY) == 0  # ... on the same mesh
    v = tab.version()
    page.get_by_test_id("sp-kappa-range").evaluate(
        "(el) => { el.value = '600'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    tab.settle(v)
    assert page.evaluate(SPY) >= 1  # κ changes the surface: its mesh is rebuilt
    tab.assert_clean()


CANVAS = "() => document.querySelector('[data-testid=live-layer]')"
EARLY = """() => {
  const c = document.querySelector('[data-testid=live-layer]');
  const ctx = c.getContext('2d');
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i]) inked += 1;
  // the default start (−4, 2) on the domain [−5, 5]²: the centre of its white marker
  const [x, y] = window.__losslab.state.start;
  const at = ctx.getImageData(Math.round(((x + 5) / 10) * c.width), Math.round(((5 - y) / 10) * c.height), 1, 1).data;
  return { plotly: typeof window.Plotly, shown: c.style.display,
    box: [c.offsetLeft, c.offsetTop, c.offsetWidth, c.offsetHeight], inked: inked / (c.width * c.height),
    start: Array.from(at), legend: document.querySelectorAll('[data-testid=legend-item]').length };
}"""
PLOT_AREA = """() => { const gd = document.getElementById('contour'); const fl = gd._fullLayout;
  return [gd.offsetLeft + fl.xaxis._offset, gd.offsetTop + fl.yaxis._offset, fl.xaxis._length, fl.yaxis._length]; }"""


def test_first_frame_is_drawn_before_plotly_in_the_frame_plotly_lays_out(context, server_url):
    page = context.new_page()
    page.set_viewport_size({"width": 1350, "height": 940})
    held = []
    page.route("**/vendor/plotly.min.js*", lambda route: held.append(route))  # Plotly waits for the checks
    page.goto(server_url + "/")
    page.wait_for_function(f"() => ({CANVAS})()?.style.display === 'block' && "
                           "document.querySelectorAll('[data-testid=legend-item]').length === 4")
    early = page.evaluate(EARLY)
    assert early["plotly"] == "undefined" and early["legend"] == 4
    assert early["inked"] > 0.95  # the surface's bands fill the plot area, paths and marks on top
    assert early["start"][:3] == [255, 255, 255]  # the start marker where the start is
    while not held:  # requested after the first paint: by now, or in a moment
        page.wait_for_timeout(50)
    for route in held:
        route.continue_()
    settle(page)
    assert page.evaluate(f"() => ({CANVAS})().style.display") == "none"  # Plotly's figure took over ...
    area = page.evaluate(PLOT_AREA)
    assert area == pytest.approx(early["box"], abs=1)  # ... in the same frame the canvas drew
    page.close()
