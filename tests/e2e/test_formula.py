"""The "Custom formula" surface in a real browser: typing a formula redraws the scene on it and shows
its exact derivatives; a rejected formula is shown inline at its column and runs nothing; the link
carries the formula. Console errors (other than the browser's own note on a 422), page errors and
off-host requests fail every test (conftest.Tab). Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.e2e

FORMULA = "x**2 + 10*y**2 - 0.5*sin(3*x*y)"
TRACES = """() => document.getElementById('contour').data.map(t => ({
  uid: t.uid || '', name: t.name, type: t.type, n: (t.x || []).length, x0: t.x && t.x[0], y0: t.y && t.y[0] }))"""
STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"
BOX_STATE = "(want) => document.getElementById('formula-box').dataset.state === want"
STORED = "(want) => window.__losslab.state.surface === 'custom' && window.__losslab.state.fexpr === want"


def choose_custom(tab) -> None:
    tab.open()
    v = tab.version()
    tab.page.get_by_test_id("surface-select").select_option("custom")
    tab.page.wait_for_function(BOX_STATE, arg="ok", timeout=15000)
    tab.settle(v)


def type_formula(tab, text: str) -> None:
    box = tab.page.get_by_test_id("formula-input")
    box.fill("")
    box.type(text, delay=5)  # keystrokes: the box checks as it goes (debounced)


def test_typed_formula_draws_the_scene_and_its_derivatives(tab):
    tab.allowed.append("status of 422")  # intermediate keystrokes ("x**") are rejected: the browser logs the 422
    choose_custom(tab)
    page = tab.page
    assert page.get_by_test_id("formula-box").is_visible()
    assert not page.get_by_test_id("surface-formula").is_visible()
    type_formula(tab, "x**2 + y**2")
    page.wait_for_function(STORED, arg="x**2 + y**2", timeout=15000)
    tab.settle()

    v = tab.version()
    type_formula(tab, FORMULA)
    page.wait_for_function(STORED, arg=FORMULA, timeout=15000)
    tab.settle(v)

    traces = page.evaluate(TRACES)
    surface = page.evaluate(TRACES.replace("'contour'", "'contour-surface'"))  # the layer under the paths' figure
    assert surface[0]["type"] == "contour" and surface[0]["n"] > 100
    paths = [t for t in traces if t["uid"].startswith("path-")]
    assert [t["name"] for t in paths] == ["GD", "Momentum", "Nesterov", "Adam"]
    assert all((t["x0"], t["y0"]) == (-3, 3) for t in paths)  # the custom default start on [-5, 5]²
    assert page.get_by_test_id("scene-title").inner_text() == f"Custom: {FORMULA}"
    derivs = {k: page.get_by_test_id(f"deriv-{k}").inner_text() for k in ("fx", "fy", "fxx", "fxy", "fyy")}
    assert derivs == {"fx": "2*x - 1.5*y*cos(3*x*y)", "fy": "-1.5*x*cos(3*x*y) + 20*y",
                      "fxx": "4.5*y**2*sin(3*x*y) + 2", "fxy": "4.5*x*y*sin(3*x*y) - 1.5*cos(3*x*y)",
                      "fyy": "4.5*x**2*sin(3*x*y) + 20"}
    assert page.get_by_test_id("formula-status").inner_text() == "✓ valid"
    run = page.evaluate("() => window.__losslab.lastRun")
    assert run["surface"]["expr"] == FORMULA and len(run["runs"]) == 4
    page.get_by_test_id("formula-box").screenshot(path=str(tab.shot("formula-ok").with_name("formula-ok-box.png")))
    tab.assert_clean()


def test_rejected_formula_is_shown_at_its_column_and_runs_nothing(tab):
    tab.allowed.append("status of 422")
    choose_custom(tab)
    page = tab.page
    before = page.evaluate(STATE)
    runs: list[str] = []
    page.on("request", lambda r: "/api/run" in r.url and runs.append(r.url))
    bad = "x**2 + __import__('os')"
    page.get_by_test_id("formula-input").fill(bad)
    page.wait_for_function(BOX_STATE, arg="error", timeout=15000)
    page.wait_for_function("() => !!document.querySelector('[data-testid=formula-message]')")

    msg = page.get_by_test_id("formula-message")
    assert msg.get_attribute("data-column") == "8"
    assert "column 8" in msg.inner_text() and "'__import__' is not allowed" in msg.inner_text()
    assert page.get_by_test_id("formula-bad").inner_text() == "_"  # the 8th character, underlined
    echo = page.locator(".formula-echo").inner_text().split("\n")
    assert echo[0] == bad and echo[1] == " " * 7 + "^"  # the caret sits under column 8
    assert page.get_by_test_id("formula-input").get_attribute("aria-invalid") == "true"
    assert page.get_by_test_id("formula-derivs").is_hidden()
    assert page.get_by_test_id("formula-status").inner_text() == "✗ not used"

    page.wait_for_timeout(400)  # longer than the debounce: still nothing ran
    assert runs == []
    assert page.evaluate(STATE) == before  # the store (and the link) kept the last valid formula
    assert page.locator("#banner").is_hidden()  # the error is inline, not in the page banner
    page.get_by_test_id("formula-box").screenshot(path=str(tab.shot("formula-error").with_name("formula-error-box.png")))
    tab.assert_clean()


def test_link_carries_the_formula_and_domain(tab, context):
    tab.allowed.append("status of 422")
    choose_custom(tab)
    page = tab.page
    v = tab.version()
    expr = "(x - 1)**2 + 4*(y + 0.5)**2"
    page.get_by_test_id("formula-xlo").fill("-2")
    page.get_by_test_id("formula-xhi").fill("3")
    page.get_by_test_id("formula-input").fill(expr)
    page.wait_for_function(STORED, arg=expr, timeout=15000)
    page.wait_for_function("() => window.__losslab.state.fdx && window.__losslab.state.fdx[0] === -2")
    tab.settle(v)
    url = page.url
    assert f"fexpr={expr}" in unquote(url) and "fdx=-2,3" in url and "fdy=-5,5" in url

    other = context.new_page()
    try:
        other.goto(url)
        other.wait_for_function(BOX_STATE, arg="ok", timeout=15000)
        other.wait_for_function("() => window.__losslab.isReady && !window.__losslab.busy", timeout=15000)
        state = other.evaluate(STATE)
        assert (state["surface"], state["fexpr"], state["fdx"], state["fdy"]) == ("custom", expr, [-2, 3], [-5, 5])
        assert other.get_by_test_id("formula-input").input_value() == expr
        assert other.get_by_test_id("formula-xlo").input_value() == "-2"
        # a constant Hessian: the stationary point is listed and the theory block is filled
        assert other.get_by_test_id("deriv-stationary").inner_text() == "(1, -0.5)"
        assert other.evaluate("() => window.__losslab.lastRun.theory.lambda_max") == pytest.approx(8)
        other.get_by_test_id("surface-select").select_option("himmelblau")
        other.wait_for_function("() => window.__losslab.state.surface === 'himmelblau'")
        assert other.get_by_test_id("formula-box").is_hidden()
    finally:
        other.close()
    tab.assert_clean()
