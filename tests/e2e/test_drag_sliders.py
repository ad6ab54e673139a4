"""Sliders dragged on the Paths view (issue 20): a new surface is one /api/scene round trip, intermediate
values are drawn while dragging, and once the input stops the page shows exactly the last value (full
grid, its run, its link). No timing asserted: only which requests went out and what ends up drawn."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

KAPPA = "[data-testid=sp-kappa-range]"
GD_LR = "[data-testid=optimizer-list] > li:nth-child(1) [data-testid=opt-lr-range]"
STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"
# `input` events every 16 ms over positions lo → hi → lo for `ms`, as a dragged thumb sends them
DRAG = """async ([sel, lo, hi, ms]) => {
  const el = document.querySelector(sel); const t0 = performance.now(); let i = 0;
  while (performance.now() - t0 < ms) {
    const f = (i++ % 40) / 39; const tri = f < 0.5 ? 2 * f : 2 - 2 * f;
    el.value = String(Math.round(lo + (hi - lo) * tri));
    el.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise((r) => setTimeout(r, 16));
  }
  return i; }"""
INPUT = """([sel, v]) => { const el = document.querySelector(sel); el.value = String(v);
  el.dispatchEvent(new Event('input', {bubbles: true})); }"""
DRAWN = "() => ({...window.__losslab.drawn, want: window.__losslab.wantRun})"
CONTOUR_ROWS = "() => document.getElementById('contour-surface').data[0].z.length"  # the surface layer's contour


def api_calls(page) -> list[tuple[str, dict]]:
    calls: list[tuple[str, dict]] = []
    page.on("request", lambda r: calls.append((r.url.split("/api/")[1], json.loads(r.post_data or "{}")))
            if "/api/" in r.url and r.method == "POST" else None)
    return calls


def test_a_new_kappa_is_one_scene_request_and_a_drag_draws_coarse_then_the_full_grid(tab):
    tab.open()
    page = tab.page
    calls = api_calls(page)
    version = tab.version()
    page.evaluate(INPUT, [KAPPA, 700])
    version = tab.settle(version)
    assert [c[0] for c in calls] == ["scene"]  # grid, surface, start geometry and run in one round trip
    body = calls[0][1]
    assert body["grid_n"] == 121 and body["surface"]["params"]["kappa"] == page.evaluate(STATE)["sp"]["kappa"]
    assert page.evaluate(CONTOUR_ROWS) == 121
    assert page.evaluate("() => window.__losslab.syncMs") > 0  # a slider's input: the sync waited for a pause

    calls.clear()
    before = page.evaluate(DRAWN)["count"]
    page.evaluate(DRAG, [KAPPA, 520, 640, 900])
    tab.settle(version)
    kappa = page.evaluate(STATE)["sp"]["kappa"]
    drawn = page.evaluate(DRAWN)
    assert drawn["count"] - before >= 2  # intermediate values were drawn, not only the last
    assert drawn["runKey"] == drawn["want"] and json.loads(drawn["want"])["surface"]["params"]["kappa"] == kappa
    scenes = [body for name, body in calls if name == "scene"]
    assert any(body["grid_n"] == 61 for body in scenes)  # while dragging: the coarse grid
    # the full grid once the drag paused (not one per coarse answer: a stall may let one through mid-drag)
    grids = [body for name, body in calls if name == "grid"]
    assert 1 <= len(grids) <= 2 < len(scenes) and calls[-1][0] == "grid"
    assert grids[-1]["n"] == 121 and grids[-1]["surface"]["params"]["kappa"] == page.evaluate(STATE)["sp"]["kappa"]
    # stopped: the full grid of the last value is drawn, with its run and its link
    assert page.evaluate(CONTOUR_ROWS) == 121
    assert page.evaluate("() => window.__losslab.lastRun.theory.lambda_max") == pytest.approx(kappa)
    assert f"s.kappa={kappa:g}" in page.evaluate("() => location.hash")
    tab.assert_clean()


def test_dragging_eta_draws_intermediate_runs_and_ends_on_the_last_value(tab):
    tab.open()
    page = tab.page
    version = tab.version()
    before = page.evaluate(DRAWN)["count"]
    page.evaluate(DRAG, [GD_LR, 540, 600, 900])
    tab.settle(version)
    lr = page.evaluate(STATE)["opt"][0]["lr"]
    drawn = page.evaluate(DRAWN)
    assert drawn["count"] - before >= 2
    assert drawn["runKey"] == drawn["want"]
    last = page.evaluate("() => window.__losslab.lastRun")
    assert last["runs"][0]["optimizer"]["lr"] == pytest.approx(lr)
    paths = page.evaluate("""() => document.getElementById('contour').data.filter(t => t.uid === 'path-0')
      .map(t => ({x: Array.from(t.x), y: Array.from(t.y)}))""")
    assert paths[0]["x"] == [p[0] for p in last["runs"][0]["path"]][:len(paths[0]["x"])]
    assert f"gd(lr={lr:g}" in page.evaluate("() => location.hash")
    tab.assert_clean()


# η to `a`, drawn; then every /api/run answer held back 700 ms and η to `b`: the Plotly figure's reacts on
# the contour between b's input and b's paths drawn (the sync of a's frame is due 250 ms after it)
SYNC_WAITS = """async ([sel, a, b]) => {
  const h = window.__losslab; const el = document.querySelector(sel);
  const drawn = async (t0) => { for (;;) { await new Promise((r) => setTimeout(r, 5));
    if (h.drawn.at > t0 && h.drawn.runKey === h.wantRun && h.drawn.done) return; } };
  el.value = String(a); let t0 = performance.now(); el.dispatchEvent(new Event('input', {bubbles: true}));
  await drawn(t0);
  const fetch0 = window.fetch;
  window.fetch = async (url, init) => { const res = await fetch0(url, init);
    if (String(url).endsWith('/api/run')) await new Promise((r) => setTimeout(r, 700)); return res; };
  const gd = document.getElementById('contour'); const reacts = [];
  gd.on('plotly_afterplot', () => reacts.push(performance.now()));
  el.value = String(b); t0 = performance.now(); el.dispatchEvent(new Event('input', {bubbles: true}));
  await drawn(t0);
  const at = h.drawn.at; window.fetch = fetch0;
  return {between: reacts.filter((t) => t > t0 && t < at).length, waited: at - t0};
}"""


def test_the_figure_sync_waits_for_paths_on_their_way(tab):
    tab.open()
    page = tab.page
    version = tab.version()
    r = page.evaluate(SYNC_WAITS, [GD_LR, 560, 575])
    assert r["waited"] > 700  # the answer was held back past the sync's due time ...
    assert r["between"] == 0  # ... and the figure was not re-plotted while the new paths were on their way
    tab.settle(version)
    drawn = page.evaluate(DRAWN)
    assert drawn["runKey"] == drawn["want"]
    assert page.evaluate(STATE)["opt"][0]["lr"] == page.evaluate("() => window.__losslab.lastRun.runs[0].optimizer.lr")
    tab.assert_clean()
