"""The Basins, Phase and Tune views in a real browser (Debian's Chromium via Playwright) against a live
uvicorn, with the fixtures of conftest.py: every test also fails on console errors, page errors and
requests leaving 127.0.0.1. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import math

import httpx
import pytest

pytestmark = pytest.mark.e2e

STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"
HOOK = "(view) => JSON.parse(JSON.stringify(window.__losslab.analysis[view]))"
# the traces of a Plotly div, by selector: uid, type, x, y, z (arrays as plain lists), marker colours
TRACES = """(sel) => document.querySelector(sel).data.map(t => ({
  uid: t.uid, type: t.type, x: Array.from(t.x || []), y: Array.from(t.y || []),
  z: t.z ? Array.from(t.z, r => Array.from(r)) : null,
  color: t.marker && Array.isArray(t.marker.color) ? Array.from(t.marker.color) : null }))"""
# page pixel of a data point on a Plotly div, by selector
TO_PIXEL = """([sel, pt]) => { const gd = document.querySelector(sel);
  const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return [r.left + gd._fullLayout.xaxis.l2p(pt[0]), r.top + gd._fullLayout.yaxis.l2p(pt[1])]; }"""
REGION = ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00"]


def color_index(label: int) -> int:
    """basins.js: 0 diverged, 1 not converged, 2 + k minimum k (8 colours, cycling)."""
    return 0 if label == -1 else 1 if label == -2 else 2 + label % len(REGION)


def star_color(k: int) -> str:
    """basins.js starColor: the region's colour 28 % of the way to ink (#1d2433)."""
    c = int(REGION[k % len(REGION)][1:], 16)
    rgb = [round(v + (ink - v) * 0.28)
           for v, ink in zip(((c >> 16) & 255, (c >> 8) & 255, c & 255), (29, 36, 51), strict=True)]
    return "#" + "".join(f"{v:02x}" for v in rgb)


def traces(page, sel: str) -> dict[str, dict]:
    return {t["uid"]: t for t in page.evaluate(TRACES, sel)}


def sig(v: float, digits: int) -> float:
    return float(f"{v:.{digits}g}")


def test_basins_on_himmelblau_show_four_regions_matching_the_api_and_a_click_runs_that_start(tab, server_url):
    tab.open("#view=basins&surface=himmelblau&steps=300&opt=gd(lr=0.01)&bn=61")
    page = tab.page
    hook = page.evaluate(HOOK, "basins")
    body = hook["bodies"]["b0"]
    assert body == {"surface": {"name": "himmelblau", "params": {}}, "optimizer": {"name": "gd", "lr": 0.01},
                    "steps": 300, "n": 61, "schedule": {"name": "constant"}, "noise": {"sigma": 0, "seed": 0},
                    "tol": 0.001}
    api = httpx.post(f"{server_url}/api/basins", json=body, timeout=30).json()
    drawn = traces(page, "[data-testid=basin-map]")
    z = drawn["basin"]["z"]
    # every pixel is coloured by the label the API gives that start; four regions, nothing diverged
    assert z == [[color_index(label) for label in row] for row in api["label"]]
    assert drawn["basin"]["x"] == api["x"] and drawn["basin"]["y"] == api["y"]
    assert {label for row in api["label"] for label in row} == {0, 1, 2, 3}
    assert all(api["counts"][str(k)] > 0.15 * 61 * 61 for k in range(4))
    # each minimum's star has its region's hue (a shade darker), and sits in that region
    stars = drawn["minima"]
    assert stars["color"] == [star_color(k) for k in range(4)]
    for k, (mx, my) in enumerate(zip(stars["x"], stars["y"], strict=True)):
        j = min(range(61), key=lambda c: abs(api["x"][c] - mx))
        i = min(range(61), key=lambda c: abs(api["y"][c] - my))
        assert api["label"][i][j] == k
    assert "4 / 4 minima reached" in page.get_by_test_id("basin-counts").inner_text()
    assert page.get_by_test_id("basins-legend").locator("li").count() >= 6
    tab.shot("basins-himmelblau")

    # clicking a pixel sets that start and switches to Paths, whose run ends in that pixel's minimum
    j = min(range(61), key=lambda c: abs(api["x"][c] - 1.0))
    i = min(range(61), key=lambda c: abs(api["y"][c] + 3.0))
    x, y = page.evaluate(TO_PIXEL, ["[data-testid=basin-map]", [api["x"][j], api["y"][i]]])
    version = tab.version()
    page.mouse.click(x, y)
    tab.settle(version)
    state = page.evaluate(STATE)
    assert state["view"] == "paths"
    assert state["start"] == [sig(api["x"][j], 6), sig(api["y"][i], 6)]
    run = page.evaluate("() => window.__losslab.lastRun")
    assert run["start"] == state["start"]
    end = run["runs"][0]["path"][-1]
    target = api["minima"][api["label"][i][j]]
    assert math.dist(end, (target["x"], target["y"])) < 0.05
    assert page.locator("#view-paths").is_visible() and not page.locator("#view-basins").is_visible()
    tab.assert_clean()


def test_phase_on_the_quadratic_draws_the_heatmaps_boundary_and_optimum_and_a_cell_sets_the_hyperparameters(tab):
    tab.open("#view=phase&pn=31&psteps=150")
    page = tab.page
    hook = page.evaluate(HOOK, "phase")
    body, res = hook["bodies"]["phase"], hook["results"]["phase"]
    # momentum (the first optimizer with a μ) over η (log) × μ; its swept values are not sent
    assert body["optimizer"] == {"name": "momentum"}
    assert body["axes"] == {"lr": {"min": 1e-4, "max": 1, "n": 31, "log": True},
                            "momentum": {"min": 0, "max": 0.99, "n": 31, "log": False}}
    loss = traces(page, "[data-testid=phase-loss]")
    assert loss["cells"]["x"] == pytest.approx([math.log10(v) for v in res["x"]])
    assert len(loss["cells"]["z"]) == 31 and len(loss["cells"]["z"][0]) == 31
    # diverged cells: null loss, marked by the neutral layer exactly where the API says so
    marked = [[v is not None for v in row] for row in loss["diverged"]["z"]]
    assert marked == res["diverged"] and 0 < sum(map(sum, marked)) < 31 * 31
    cells = loss["cells"]["z"]
    assert all((cells[i][j] is None) == res["diverged"][i][j] for i in range(31) for j in range(31))
    # the heavy-ball boundary η = 2(1 + μ)/λmax (λmax = 50), drawn on log10 η, and Polyak's optimum
    curve = loss["boundary-stability"]
    pts = [(x, y) for x, y in zip(curve["x"], curve["y"], strict=True) if x is not None]
    assert len(pts) > 50
    for x, mu in pts:
        assert 10 ** x == pytest.approx(2 * (1 + mu) / 50, rel=1e-9)
    kappa = 50
    mu_star = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    eta_star = 4 / (math.sqrt(50) + 1) ** 2
    optimum = loss["optimum"]
    assert 10 ** optimum["x"][0] == pytest.approx(eta_star) and optimum["y"][0] == pytest.approx(mu_star)
    for sel in ["[data-testid=phase-rate]", "[data-testid=phase-pred]"]:
        other = traces(page, sel)
        assert {"cells", "boundary-stability", "optimum", "current"} <= set(other)
    predicted = traces(page, "[data-testid=phase-pred]")["cells"]["z"]
    assert predicted[0][0] == pytest.approx(res["theory"]["predicted_rate"][0][0])
    assert " of 961" in page.get_by_test_id("phase-agree").inner_text()
    tab.shot("phase-quadratic")

    # keyboard: focus the map, move the cursor, Enter gives momentum those (η, μ); no new request
    requests = []
    page.on("request", lambda r: "/api/phase" in r.url and requests.append(r.url))
    page.get_by_test_id("phase-loss").focus()
    for key in ["ArrowRight", "ArrowRight", "ArrowUp", "Enter"]:
        page.keyboard.press(key)
    tab.settle(tab.version() - 1)
    opt = page.evaluate(STATE)["opt"][1]
    assert opt["name"] == "momentum"
    assert opt["lr"] == sig(res["x"][17], 4) and opt["momentum"] == sig(res["y"][16], 4)
    assert traces(page, "[data-testid=phase-loss]")["current"]["x"] == pytest.approx([math.log10(opt["lr"])])
    assert requests == []

    # a range the API refuses (μ ≤ 0.999) is a readable banner; a good one clears it
    tab.allowed.append("status of 422")
    version = tab.version()
    page.get_by_test_id("phase-yhi").fill("1.5")
    page.get_by_test_id("phase-yhi").press("Enter")
    tab.settle(version)
    banner = page.get_by_test_id("error-banner")
    assert banner.is_visible() and "momentum" in banner.inner_text()
    assert "refused" in page.get_by_test_id("phase-status").inner_text()
    version = tab.version()
    page.get_by_test_id("phase-yhi").fill("0.95")
    page.get_by_test_id("phase-yhi").press("Enter")
    tab.settle(version)
    assert not banner.is_visible()
    assert page.evaluate(HOOK, "phase")["bodies"]["phase"]["axes"]["momentum"]["max"] == 0.95
    tab.assert_clean()


def test_tune_all_applies_each_tuned_eta_and_the_paths_view_reruns_with_them(tab):
    tab.open("#view=tune&tbudget=8")
    page = tab.page
    hook = page.evaluate(HOOK, "tune")
    body, res = hook["bodies"]["tune"], hook["results"]["tune"]
    assert [o["name"] for o in body["optimizers"]] == ["gd", "momentum", "nesterov", "adam"]
    assert all("lr" not in o for o in body["optimizers"])  # the lr is what is tuned
    assert (body["budget"], body["method"], body["steps"]) == (8, "grid", 200)
    assert [r["trials_used"] for r in res["results"]] == [8] * 4
    tuned = [sig(r["best_lr"], 6) for r in res["results"]]
    # one chart: a curve per optimizer, each tuned η ringed
    curves = traces(page, "[data-testid=tune-curves]")
    for k, r in enumerate(res["results"]):
        assert curves[f"best-{k}"]["x"] == [r["best_lr"]]
    assert page.get_by_test_id("tune-row").count() == 4
    assert page.get_by_test_id("tuned-lr").first.inner_text() == f"{res['results'][0]['best_lr']:.4g}"
    tab.shot("tune-grid")

    version = tab.version()
    page.get_by_test_id("tune-apply").click()
    tab.settle(version)
    assert [o["lr"] for o in page.evaluate(STATE)["opt"]] == tuned
    assert page.locator("[data-testid=tune-row][data-applied=true]").count() == 4
    assert page.evaluate(HOOK, "tune")["bodies"]["tune"] == body  # applying does not re-tune

    version = tab.version()
    page.locator("[data-view-tab=paths]").click()
    tab.settle(version)
    run = page.evaluate("() => window.__losslab.lastRun")
    assert [r["optimizer"]["lr"] for r in run["runs"]] == tuned
    assert [r["optimizer"]["name"] for r in run["runs"]] == ["gd", "momentum", "nesterov", "adam"]

    # successive halving: same compute, more candidates
    version = tab.version()
    page.locator("[data-view-tab=tune]").click()
    page.get_by_test_id("tune-halving").click()
    tab.settle(version)
    # the tab switch alone may render (the applied grid result) before the halving request leaves:
    # wait for the halving answer itself rather than for any render
    page.wait_for_function(
        "() => !window.__losslab.busy && window.__losslab.analysis.tune.results.tune?.method === 'halving'",
        timeout=15000)
    res = page.evaluate(HOOK, "tune")["results"]["tune"]
    assert res["method"] == "halving"
    for r in res["results"]:
        assert r["trial_steps"] <= 8 * 200 and r["candidates"] > 8
    assert "tmethod=halving" in page.evaluate("() => location.hash")
    tab.shot("tune-halving")
    tab.assert_clean()


def test_a_basins_link_round_trips_the_view_and_its_settings(tab):
    tab.open("#view=basins&surface=himmelblau&opt=gd(lr=0.01);adam(lr=0.1)&bn=31")
    page = tab.page
    assert page.get_by_test_id("basin-panel").count() == 2
    version = tab.version()
    page.get_by_test_id("basins-n").fill("41")
    page.get_by_test_id("basins-n").press("Enter")
    version = tab.settle(version)
    page.get_by_test_id("basins-tol").select_option("0.01")
    version = tab.settle(version)
    page.get_by_test_id("basins-chip").nth(1).click()  # Adam off
    tab.settle(version)
    hash_before = page.evaluate("() => location.hash")
    for part in ["view=basins", "bn=41", "btol=0.01", "bopt=1"]:
        assert part in hash_before
    z_before = traces(page, "[data-testid=basin-map]")["basin"]["z"]
    assert page.get_by_test_id("basin-panel").count() == 1 and len(z_before) == 41

    page.reload()
    tab.settle()
    assert page.evaluate("() => location.hash") == hash_before
    assert page.get_by_test_id("basins-n").input_value() == "41"
    assert page.get_by_test_id("basins-tol").input_value() == "0.01"
    assert page.locator("[data-testid=basins-chip][aria-pressed=true]").count() == 1
    assert traces(page, "[data-testid=basin-map]")["basin"]["z"] == z_before
    assert page.locator("[data-view-tab=basins]").get_attribute("aria-current") == "page"
    tab.assert_clean()


def test_the_analysis_views_fit_a_narrow_window(narrow_tab):
    page = narrow_tab.page
    for view, extra, plot in [("basins", "&bn=41&opt=gd(lr=0.03);adam(lr=0.3)", "basin-map"),
                              ("phase", "&pn=21", "phase-loss"), ("tune", "&tbudget=6", "tune-curves")]:
        narrow_tab.open(f"#view={view}{extra}")
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 420
        box = page.get_by_test_id(plot).first.bounding_box()
        assert box["width"] > 300 and box["x"] >= 0 and box["x"] + box["width"] <= 420
        narrow_tab.shot(f"narrow-{view}")
    narrow_tab.assert_clean()
