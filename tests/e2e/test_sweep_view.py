"""The Sweep view in a real browser: it starts from the Networks scene, fills the heatmap as cells
stream in from /api/sweep/stream (Dask on the live server), and a click opens that training in Networks."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

SWEEP = "() => JSON.parse(JSON.stringify(window.__losslab.sweep))"
Z = "() => Array.from(document.querySelector('#sweep-map').data[1].z, (r) => Array.from(r))"


def test_the_sweep_view_fills_its_heatmap_and_opens_a_cell_in_networks(tab):
    page = tab.page
    tab.open("#view=sweep&nsteps=30")
    page.wait_for_function("() => document.querySelector('#sweep-x').options.length > 0")
    assert page.input_value("#sweep-opt") == "1"  # the scene's momentum optimizer, η × μ
    assert page.input_value("#sweep-x") == "lr" and page.input_value("#sweep-y") == "momentum"
    page.fill("#sweep-n", "3")
    page.fill("#sweep-seeds", "2")
    page.click("[data-testid=sweep-run]")
    page.wait_for_function("() => window.__losslab.sweep && window.__losslab.sweep.done", timeout=180000)
    state = page.evaluate(SWEEP)
    assert state["cells"] == state["total"] == 9
    assert [a["path"] for a in state["axes"]] == ["optimizers.0.lr", "optimizers.0.momentum"]
    z = page.evaluate(Z)
    grey = page.evaluate("() => Array.from(document.querySelector('#sweep-map').data[0].z, (r) => Array.from(r))")
    assert len(z) == 3 and all(len(row) == 3 for row in z)
    assert all((z[j][i] is not None) != (grey[j][i] is not None) for j in range(3) for i in range(3))
    assert "9 cells × 2 seeds = 18 trainings" in page.inner_text("#sweep-status")
    assert not page.is_disabled("#sweep-csv") and page.is_disabled("#sweep-cancel")
    tab.shot("sweep-view")
    # a click on the top-right cell (largest η and μ) opens it in Networks, seeds unchanged
    lr, mu = (a["values"][-1] for a in state["axes"])
    page.evaluate("() => { const gd = document.querySelector('#sweep-map');"
                  " gd.emit('plotly_click', {points: [{pointIndex: [2, 2]}]}); }")
    page.wait_for_function("() => window.__losslab.state.view === 'networks'")
    opt = page.evaluate("() => JSON.parse(JSON.stringify(window.__losslab.state.nopt))")
    assert len(opt) == 1 and opt[0]["name"] == "momentum"
    assert opt[0]["lr"] == pytest.approx(lr, rel=1e-12) and opt[0]["momentum"] == pytest.approx(mu, rel=1e-12)
    tab.assert_clean()


def test_a_paths_sweep_on_a_quadratic_draws_the_theory_boundary_and_opens_a_run_in_paths(tab):
    page = tab.page
    tab.open("#view=sweep&surface=quadratic&s.kappa=10&steps=80")
    page.wait_for_function("() => document.querySelector('#sweep-x').options.length > 0")
    page.select_option("#sweep-base", "paths")
    assert page.input_value("#sweep-x") == "lr" and page.input_value("#sweep-y") == "momentum"
    assert "the Paths scene" in page.inner_text("#sweep-sub") and page.is_disabled("#sweep-seeds")  # σ = 0
    page.fill("#sweep-n", "4")
    page.click("[data-testid=sweep-run]")
    page.wait_for_function("() => window.__losslab.sweep && window.__losslab.sweep.done", timeout=180000)
    state = page.evaluate(SWEEP)
    assert state["kind"] == "run" and state["cells"] == state["total"] == 16
    assert state["theory"] == ["stability"]  # the API's boundary (engine/theory.py), not computed here
    drawn = page.evaluate("() => Array.from(document.querySelector('#sweep-map').data,"
                          " (t) => ({uid: t.uid || null, x: t.x ? Array.from(t.x) : null}))")
    boundary = [t for t in drawn if t["uid"] == "boundary-stability"]
    assert len(boundary) == 1 and boundary[0]["x"][0] == pytest.approx(0.2)  # η = 2/λmax at μ = 0
    assert "stability boundary" in page.inner_text("#sweep-theory")
    tab.shot("sweep-paths-theory")
    page.evaluate("() => { const gd = document.querySelector('#sweep-map');"
                  " gd.emit('plotly_click', {points: [{pointIndex: [1, 3]}]}); }")
    page.wait_for_function("() => window.__losslab.state.view === 'paths'")
    opt = page.evaluate("() => JSON.parse(JSON.stringify(window.__losslab.state.opt))")
    lr, mu = state["axes"][0]["values"][3], state["axes"][1]["values"][1]
    assert len(opt) == 1 and opt[0]["lr"] == pytest.approx(lr, rel=1e-12) and opt[0]["momentum"] == pytest.approx(mu)
    tab.assert_clean()
