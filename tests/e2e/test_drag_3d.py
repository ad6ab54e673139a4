"""κ in the 3D view (issue 20): a new surface comes as a 61² grid and is built at once on the same Plotly surface
trace, then sharpened to the full grid once the input pauses, and each mesh build traces its contour lines once.
No timing asserted: only which meshes were built and what ends up drawn."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

KAPPA = "[data-testid=sp-kappa-range]"
# spy on the surface trace's mesh builds (rows of each) and on its contour-line tracing (the contour buffer's uploads)
SPY = """() => {
  const gd = document.getElementById('surface3d');
  const obj = Object.values(gd._fullLayout.scene._scene.traces).find((o) => o.data.type === 'surface');
  window.__spy = {obj, builds: [], traced: 0};
  const build = obj.surface.update;
  obj.surface.update = function (p) {
    if (p && p.coords) window.__spy.builds.push(p.coords[2].shape[0]);
    return build.call(this, p);
  };
  const buffer = obj.surface._contourBuffer; const upload = buffer.update;
  buffer.update = function (...a) { window.__spy.traced += 1; return upload.apply(this, a); };
}"""
# the input, then the rows of the surface trace at the first draw of the wanted run
FIRST_DRAW = """async ([sel, v]) => {
  const h = window.__losslab; const el = document.querySelector(sel);
  el.value = String(v); const t0 = performance.now();
  el.dispatchEvent(new Event('input', {bubbles: true}));
  for (;;) {
    await new Promise((r) => setTimeout(r, 1));
    const d = h.drawn;
    if (d.at > t0 && d.runKey === h.wantRun && d.done) {
      const gd = document.getElementById('surface3d');
      return gd.data.find((t) => t.uid === 'surface3d').z.length;
    }
  }
}"""
SAME_TRACE = """() => Object.values(document.getElementById('surface3d')._fullLayout.scene._scene.traces)
  .find((o) => o.data.type === 'surface') === window.__spy.obj"""


def test_a_new_kappa_in_3d_is_drawn_coarse_at_once_then_sharpened_in_place(tab):
    page = tab.page
    if not tab.open_3d():
        return
    assert page.evaluate("() => document.getElementById('surface3d').data[0].z.length") == 121
    page.evaluate(SPY)
    sizes = []  # (endpoint, grid size) of each API request from here on

    def seen(r):
        if "/api/" in r.url and r.method == "POST":
            body = json.loads(r.post_data or "{}")
            sizes.append((r.url.split("/api/")[1], body.get("grid_n") or body.get("n")))

    page.on("request", seen)
    version = tab.version()
    assert page.evaluate(FIRST_DRAW, [KAPPA, 600]) == 61  # the new surface's first draw: a 61² mesh
    tab.settle(version)
    spy = page.evaluate("() => ({builds: window.__spy.builds, traced: window.__spy.traced})")
    assert spy["builds"] == [61, 121]  # then the full grid, once the input paused
    assert sizes == [("scene", 61), ("grid", 121)]
    assert spy["traced"] == 2  # contour lines traced once per mesh (not again by the render that follows)
    assert page.evaluate(SAME_TRACE)  # on the same surface trace: its mesh swapped in place
    assert page.evaluate("() => document.getElementById('surface3d').data[0].z.length") == 121
    kappa = page.evaluate("() => window.__losslab.state.sp.kappa")
    assert page.evaluate("() => window.__losslab.lastRun.theory.lambda_max") == pytest.approx(kappa)
    tab.assert_clean()
