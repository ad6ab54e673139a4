"""Layout at laptop and projector sizes (issue 20): nothing scrolls sideways, presentation mode fits the
lesson card, the plot and the step-through panel in one 1024×768 screen, and "Skip to plot" is the first
tab stop."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import settle

SIZES = [(1024, 768), (1280, 720), (1440, 900)]

# the header's children overflowing their row would show here too: every box's right edge, not only the page's
OVERFLOW = """() => ({
  scroll: document.documentElement.scrollWidth, inner: innerWidth,
  wide: [...document.querySelectorAll('.topbar, .topbar *, main *')]
    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5
      && !e.closest('.js-plotly-plot, .sr-only, .btn-text'))
    .slice(0, 5).map((e) => e.id || e.className || e.tagName),
})"""

BOX = """(sel) => { const b = document.querySelector(sel).getBoundingClientRect();
  return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, height: b.height}; }"""


@pytest.mark.parametrize("query", ["", "?present=1"], ids=["normal", "present"])
def test_no_horizontal_overflow_at_laptop_and_projector_sizes(tab, query):
    page = tab.page
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{tab.base}/{query}")
        settle(page)
        got = page.evaluate(OVERFLOW)
        assert got["scroll"] <= got["inner"], f"{width}×{height}{query}: {got['scroll']} px wide ({got['wide']})"
        assert got["wide"] == [], f"{width}×{height}{query}: {got['wide']} reach past the right edge"
        # the header stays one row at these sizes (it only wraps for large system fonts)
        assert page.evaluate(BOX, ".topbar")["height"] <= 60, f"{width}×{height}{query}: header wrapped"
    tab.assert_clean()


def test_presentation_mode_fits_lesson_card_plot_and_step_panel_in_1024x768(tab):
    page = tab.page
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{tab.base}/?present=1#lesson=ill-conditioning")
    settle(page)
    if not page.get_by_test_id("step-panel").is_visible():
        page.get_by_test_id("step-toggle").click()
    page.wait_for_function("() => !document.querySelector('#step-panel').hidden")
    settle(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1024
    card = page.evaluate(BOX, "#lesson-card")
    step = page.evaluate(BOX, "#step-panel")
    plot = page.evaluate(BOX, "#contour")
    scrubber = page.evaluate(BOX, ".scrubber")
    for name, box in [("lesson card", card), ("step panel", step), ("plot", plot), ("scrubber", scrubber)]:
        assert box["top"] >= 0 and box["bottom"] <= 768 and box["right"] <= 1024, f"{name} leaves the screen: {box}"
    assert plot["height"] >= 240  # a plot a room can read, not a sliver
    # a long narration scrolls inside its panel instead of pushing it off the screen
    assert page.evaluate("() => getComputedStyle(document.querySelector('#step-panel')).overflowY") == "auto"
    tab.assert_clean()


def test_skip_to_plot_is_the_first_tab_stop(tab):
    page = tab.page
    tab.open()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to plot"
    assert page.evaluate("() => document.activeElement.getBoundingClientRect().left") >= 0  # shown when focused
    hash_before = page.evaluate("() => location.hash")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") in ("plots", "contour")
    assert page.evaluate("() => location.hash") == hash_before  # the hash holds the scene: untouched
    tab.assert_clean()


# every animation frame for `ms`: the plot areas of the paths' figure and of the surface layer under it
FRAMES = """async (ms) => {
  const area = (sel) => { const fl = document.querySelector(sel)._fullLayout;
    return [fl.xaxis._offset, fl.xaxis._length, fl.yaxis._offset, fl.yaxis._length]
      .map((v) => Math.round(v * 10) / 10); };
  const out = []; const t0 = performance.now();
  await new Promise((done) => { const f = () => { out.push([area('#contour'), area('#contour-surface')]);
    if (performance.now() - t0 < ms) requestAnimationFrame(f); else done(); }; f(); });
  return out;
}"""


def test_a_window_resize_moves_the_paths_and_the_surface_under_them_in_the_same_frame(tab):
    """Both figures are laid out from one measurement of the div and redrawn in one task: no frame shows
    the paths off their surface (Plotly's own resize handler once moved the upper figure alone, ~110 ms
    out of step)."""
    page = tab.page
    page.set_viewport_size({"width": 1440, "height": 900})
    tab.open("")
    for width, height in [(1200, 800), (1440, 900), (1024, 768)]:
        page.evaluate("(ms) => { window.__frames = null; window.__framesP = (" + FRAMES + ")(ms); }", 900)
        page.set_viewport_size({"width": width, "height": height})
        frames = page.evaluate("() => window.__framesP")
        apart = [f for f in frames if f[0] != f[1]]
        assert apart == [], f"{width}×{height}: {len(apart)} of {len(frames)} frames apart: {apart[:2]}"
        assert frames[0] != frames[-1]  # the resize did re-lay them out
    tab.assert_clean()
