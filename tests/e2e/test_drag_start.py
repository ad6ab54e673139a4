"""Moving the start on the Paths view (issue 20): drag the marker (mouse, Shift-drag, touch), arrow keys,
clicks that land where the pointer is, and diverged paths that stay inside the plot. No timing asserted."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"
TO_PIXEL = """(pt) => { const gd = document.getElementById('contour');
  const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return [r.left + gd._fullLayout.xaxis.l2p(pt[0]), r.top + gd._fullLayout.yaxis.l2p(pt[1])]; }"""
PATHS = """() => document.getElementById('contour').data.filter(t => String(t.uid).startsWith('path-'))
  .map(t => ({x: Array.from(t.x), y: Array.from(t.y)}))"""
# pointer events as a finger sends them (pointerType "touch"), dispatched on Plotly's drag layer
TOUCH = """([kind, x, y]) => { const el = document.querySelector('#contour .nsewdrag');
  el.dispatchEvent(new PointerEvent(kind, {clientX: x, clientY: y, pointerId: 7, pointerType: 'touch',
    isPrimary: true, bubbles: true, cancelable: true, composed: true, button: 0,
    buttons: kind === 'pointerup' ? 0 : 1})); }"""


def start(tab):
    return tab.page.evaluate(STATE)["start"]


def test_dragging_the_start_marker_moves_the_paths_and_writes_the_link_on_release(tab):
    tab.open()
    page = tab.page
    assert start(tab) == [-4, 2]
    x0, y0 = page.evaluate(TO_PIXEL, [-4, 2])
    x1, y1 = page.evaluate(TO_PIXEL, [-1, -2])
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    mid = start(tab)
    assert mid != [-4, 2] and abs(mid[0] + 1) < 0.05 and abs(mid[1] + 2) < 0.05  # follows the pointer
    assert "start=-4,2" in page.evaluate("() => location.hash")  # the link waits for the release
    version = tab.version()
    page.mouse.up()
    tab.settle(version)
    sx, sy = start(tab)
    assert abs(sx + 1) < 0.05 and abs(sy + 2) < 0.05
    assert f"start={sx:g},{sy:g}" in page.evaluate("() => location.hash")
    for p in page.evaluate(PATHS):
        assert (p["x"][0], p["y"][0]) == (sx, sy)
    # a drag on the marker moves the start, it does not zoom
    assert page.evaluate("() => document.getElementById('contour').layout.xaxis.range") == [-5, 5]
    tab.assert_clean()


def test_shift_drag_from_anywhere_and_a_touch_drag_move_the_start(tab):
    tab.open()
    page = tab.page
    x0, y0 = page.evaluate(TO_PIXEL, [2, 2])
    x1, y1 = page.evaluate(TO_PIXEL, [3, -1])
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=6)
    version = tab.version()
    page.mouse.up()
    page.keyboard.up("Shift")
    tab.settle(version)
    sx, sy = start(tab)
    assert abs(sx - 3) < 0.05 and abs(sy + 1) < 0.05
    assert page.evaluate("() => document.getElementById('contour').layout.xaxis.range") == [-5, 5]

    # touch: press on the marker, slide, lift
    a = page.evaluate(TO_PIXEL, [sx, sy])
    b = page.evaluate(TO_PIXEL, [0.5, 3.5])
    page.evaluate(TOUCH, ["pointerdown", *a])
    for k in range(1, 6):
        page.evaluate(TOUCH, ["pointermove", a[0] + (b[0] - a[0]) * k / 5, a[1] + (b[1] - a[1]) * k / 5])
    version = tab.version()
    page.evaluate(TOUCH, ["pointerup", *b])
    tab.settle(version)
    tx, ty = start(tab)
    assert abs(tx - 0.5) < 0.05 and abs(ty - 3.5) < 0.05
    assert f"start={tx:g},{ty:g}" in page.evaluate("() => location.hash")
    tab.assert_clean()


def test_arrow_keys_move_the_start_with_the_plot_focused(tab):
    tab.open()
    page = tab.page
    page.focus("#plots")
    version = tab.version()
    page.keyboard.press("ArrowRight")  # 1% of the 10-wide domain
    version = tab.settle(version)
    assert start(tab) == pytest.approx([-3.9, 2])
    page.keyboard.press("Shift+ArrowDown")  # 10%
    version = tab.settle(version)
    assert start(tab) == pytest.approx([-3.9, 1])
    page.keyboard.press("ArrowLeft")
    tab.settle(version)
    assert start(tab) == pytest.approx([-4, 1])
    assert "start=-4,1" in page.evaluate("() => location.hash")
    for p in page.evaluate(PATHS):
        assert (p["x"][0], p["y"][0]) == (-4, 1)
    tab.assert_clean()


def test_a_click_sets_the_start_under_the_pointer_even_over_a_diverged_path_and_without_a_move(tab):
    # GD at η = 0.1 on κ = 50 diverges: its path leaves the plot (the old handler took a path vertex)
    tab.open("#surface=quadratic&s.kappa=50&s.theta=30&opt=gd(lr=0.1);momentum(lr=0.01,momentum=0.9)")
    page = tab.page
    assert page.evaluate("() => window.__losslab.lastRun.runs[0].status") == "diverged"
    cdp = page.context.new_cdp_session(page)
    targets = [(2.0, -3.0), (-1.5, 1.0), (3.0, 3.0), (-2.5, -2.5)]
    page.mouse.move(*page.evaluate(TO_PIXEL, [0, 4]))
    for i, pt in enumerate(targets):
        x, y = page.evaluate(TO_PIXEL, list(pt))
        version = tab.version()
        if i == 0:
            page.mouse.click(x, y)
        else:  # press and release at a new place with no mouse move before it
            for kind in ("mousePressed", "mouseReleased"):
                cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
        tab.settle(version)
        sx, sy = start(tab)
        assert abs(sx - pt[0]) < 0.05 and abs(sy - pt[1]) < 0.05, (i, pt, (sx, sy))
        # a click is a complete gesture: the figure and side charts followed its paths without waiting for a pause
        assert page.evaluate("() => window.__losslab.syncMs") == 0
    tab.assert_clean()


def test_two_quick_clicks_set_the_start_twice_and_leave_the_zoom_alone(tab):
    # Plotly reads two clicks within 300 ms as a double-click: it must reset to the domain, not fit the paths
    tab.open()
    page = tab.page
    for pt in [(-3, 2.5), (2.5, -3)]:
        page.mouse.click(*page.evaluate(TO_PIXEL, list(pt)))
        page.wait_for_timeout(100)
    tab.settle()
    assert start(tab) == [2.5, -3]
    ranges = "(id) => { const fl = document.getElementById(id)._fullLayout; return [fl.xaxis.range, fl.yaxis.range]; }"
    assert page.evaluate(ranges, "contour") == page.evaluate(ranges, "contour-surface") == [[-5, 5], [-5, 5]]
    tab.assert_clean()


def test_a_diverged_path_stops_at_the_domain_edge_with_its_marker_and_leaves_the_axes_alone(tab):
    tab.open("#surface=quadratic&s.kappa=50&s.theta=30&opt=gd(lr=0.1);momentum(lr=0.01,momentum=0.9)")
    page = tab.page
    run = page.evaluate("() => window.__losslab.lastRun")
    assert run["runs"][0]["status"] == "diverged" and run["runs"][1]["status"] != "diverged"
    gd_path, mom_path = page.evaluate(PATHS)
    inside = [(-5 <= x <= 5 and -5 <= y <= 5) for x, y in zip(gd_path["x"], gd_path["y"], strict=True)]
    assert all(inside)  # drawn until it leaves the domain, not beyond
    assert len(gd_path["x"]) < len(run["runs"][0]["path"])
    exit_x, exit_y = gd_path["x"][-1], gd_path["y"][-1]
    assert max(abs(exit_x), abs(exit_y)) == pytest.approx(5)  # the last point is on the edge
    marker = page.evaluate("""() => { const t = document.getElementById('contour').data.find(t => t.uid === 'diverged');
      return {x: Array.from(t.x), y: Array.from(t.y)}; }""")
    assert marker["x"] == [pytest.approx(exit_x)] and marker["y"] == [pytest.approx(exit_y)]
    assert len(mom_path["x"]) == len(run["runs"][1]["path"])  # the healthy run is drawn whole
    assert page.evaluate("() => document.getElementById('contour')._fullLayout.xaxis.range") == [-5, 5]
    # even an autoscale (double click) stays near the domain: no point far outside was plotted
    page.evaluate("() => Plotly.relayout('contour', {'xaxis.autorange': true, 'yaxis.autorange': true})")
    xr = page.evaluate("() => document.getElementById('contour')._fullLayout.xaxis.range")
    assert -6 < xr[0] and xr[1] < 6
    tab.assert_clean()


def test_a_click_on_the_mode_bar_or_a_zoom_box_leaves_the_start_alone(tab):
    tab.open()
    page = tab.page
    page.mouse.move(*page.evaluate(TO_PIXEL, [1, 1]))  # the mode bar shows while the pointer is over the plot
    page.click("#contour .modebar-btn[data-title='Zoom in']")  # the view becomes [-2.5, 2.5]²
    page.wait_for_timeout(300)
    assert start(tab) == [-4, 2]
    version = tab.version()
    page.mouse.click(*page.evaluate(TO_PIXEL, [0.5, -0.5]))  # a press released in place sets the start there
    tab.settle(version)
    sx, sy = start(tab)
    assert abs(sx - 0.5) < 0.05 and abs(sy + 0.5) < 0.05
    page.mouse.move(*page.evaluate(TO_PIXEL, [-2, 2]))
    page.mouse.down()
    page.mouse.move(*page.evaluate(TO_PIXEL, [2, -2]), steps=4)  # a zoom box, not a click
    page.mouse.up()
    page.wait_for_timeout(300)
    assert start(tab) == [sx, sy]
    tab.assert_clean()
