"""The Networks view in a real browser (Debian's Chromium through Playwright) against a live uvicorn.

Small, fast configs (moons, 2 → 8 → 8 → 1, ≤ 150 steps). Every test also checks that nothing was logged
as a console error, no script threw and no request left 127.0.0.1. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

FAST = "#view=networks&nsteps=150"
RUN = "() => JSON.parse(JSON.stringify(window.__losslab.lastRun))"
BODY = "() => JSON.parse(JSON.stringify(window.__losslab.networkBody))"
STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"


def traces(tab, element_id: str) -> list[dict]:
    """uid, type, x, y (and contour levels) of every trace of a Plotly div."""
    return tab.page.evaluate("""(id) => (document.getElementById(id).data || []).map(t => ({
      uid: t.uid, type: t.type, x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null,
      z: t.z ? t.z.map(r => Array.from(r)) : null, contours: t.contours ? {...t.contours} : null }))""", element_id)


def by_uid(found: list[dict]) -> dict[str, dict]:
    return {t["uid"]: t for t in found}


def flat(grid: list[list[float]]) -> list[float]:
    return [v for row in grid for v in row]


def pct(share: float) -> str:
    """The page's wording of a share (networks-config.js pct) for shares ≥ 10 %."""
    return f"{round(100 * share)} %"


def test_trains_on_moons_with_curves_boundaries_plane_and_trust_text(tab, server_url):
    tab.open(FAST)
    page = tab.page
    run = page.evaluate(RUN)
    assert run["dataset"]["name"] == "moons" and run["model"]["hidden"] == [8, 8]
    assert [r["optimizer"]["name"] for r in run["runs"]] == ["gd", "momentum", "adam"]

    # a loss and an accuracy curve per optimizer, exactly the streamed numbers, and λmax against 2/η
    loss, acc, sharp = (by_uid(traces(tab, f"nets-chart-{k}")) for k in ("loss", "acc", "sharp"))
    for i, r in enumerate(run["runs"]):
        assert r["steps"][0] == 0 and r["steps"][-1] == 150 and r["status"] == "ok"
        assert loss[f"loss-{i}"]["x"] == r["steps"]
        assert loss[f"loss-{i}"]["y"] == pytest.approx(r["loss"], rel=1e-12)
        assert acc[f"acc-{i}"]["y"] == pytest.approx(r["accuracy"])
        assert r["loss"][-1] < 0.5 * r["loss"][0] and r["final"]["accuracy"] >= 0.95
        assert sharp[f"lam-{i}"]["x"] == list(range(0, 151, 10))
        assert sharp[f"two-{i}"]["y"] == pytest.approx([2 / r["optimizer"]["lr"]] * 16)
    assert page.get_by_test_id("nets-legend-item").count() == 3

    # the decision boundary: P = 0.5 contour per optimizer over a faint P(class 1) shading, and the data
    dec = by_uid(traces(tab, "nets-decision"))
    assert dec["heat"]["type"] == "heatmap"
    for i in range(3):
        assert dec[f"boundary-{i}"]["contours"]["start"] == 0.5 == dec[f"boundary-{i}"]["contours"]["end"]
        assert flat(dec[f"boundary-{i}"]["z"]) == pytest.approx(flat(run["decision"]["runs"][i]["prob"]))
    assert len(dec["class-0"]["x"]) + len(dec["class-1"]["x"]) == 200
    # the snapshot slider: Home shows the boundary of the initial weights
    final_heat = flat(dec["heat"]["z"])
    version = tab.version()
    page.get_by_test_id("nets-snap-range").focus()
    page.keyboard.press("Home")
    tab.settle(version)
    assert page.get_by_test_id("nets-snap-label").inner_text() == "step 0 / 150"
    first = run["decision"]["runs"][0]["snapshots"][0]
    assert first["step"] == 0
    assert flat(by_uid(traces(tab, "nets-decision"))["heat"]["z"]) == pytest.approx(flat(first["prob"]))
    assert flat(first["prob"]) != pytest.approx(final_heat)
    page.get_by_test_id("nets-snap-range").press("End")
    # keyboard: the optimizer chips are a radio group; ArrowRight shades Momentum's P(class 1), focus stays
    version = tab.version()
    page.get_by_test_id("nets-chip").first.focus()
    page.keyboard.press("ArrowRight")
    tab.settle(version)
    assert page.evaluate("() => document.activeElement.textContent") == "Momentum"
    assert page.get_by_test_id("nets-chip").nth(1).get_attribute("aria-checked") == "true"
    heat = flat(by_uid(traces(tab, "nets-decision"))["heat"]["z"])
    assert heat == pytest.approx(flat(run["decision"]["runs"][1]["prob"]))

    # the plane (PCA by default) with every path projected, and the trust text in words
    plane = run["plane"]
    assert plane["method"] == "pca" and len(plane["paths"]) == 3
    drawn = by_uid(traces(tab, "nets-plane"))
    assert drawn["plane"]["type"] == "contour"
    for i, path in enumerate(plane["paths"]):
        assert drawn[f"path-{i}"]["x"] == pytest.approx(path["alpha"])
        assert drawn[f"path-{i}"]["y"] == pytest.approx(path["beta"])
    items = page.get_by_test_id("nets-trust-item")
    assert items.count() == 3
    # the page's numbers are the API's: replay the page's own request body through POST /api/network/train
    body = page.evaluate(BODY)
    direct = httpx.post(f"{server_url}/api/network/train", json=body, timeout=60).json()
    for i, path in enumerate(direct["plane"]["paths"]):
        ev = path["explained_variance"]
        assert float(items.nth(i).get_attribute("data-ev")) == pytest.approx(ev, rel=1e-9)
        text = items.nth(i).get_by_test_id("nets-trust-text").inner_text()
        assert text.startswith(f"the plane shows {pct(ev)} of this path's variance; "
                               "the path leaves the plane by up to ")
        assert f"{max(path['residual']):.2g}" in text
    finals = [r["final"]["loss"] for r in run["runs"]]
    assert [r["final"]["loss"] for r in direct["runs"]] == pytest.approx(finals, rel=1e-12)
    ratios = plane["explained_variance"]
    info = page.get_by_test_id("nets-direction-info").inner_text()
    assert f"{pct(ratios[0])} + {pct(ratios[1])}" in info
    # the hint to the exact 2-weight surfaces
    for name in ("tiny_net", "least_squares", "logistic"):
        assert page.get_by_test_id(f"nets-exact-{name}").count() == 1
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    tab.shot("networks-1280x800")
    # the JSON export is the response the page assembled from the stream
    with page.expect_download() as download:
        page.get_by_test_id("export-json").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["plane"]["paths"][2]["explained_variance"] == plane["paths"][2]["explained_variance"]
    assert [r["loss"] for r in exported["runs"]] == [r["loss"] for r in run["runs"]]
    tab.assert_clean()


def test_switching_the_plane_method_re_renders_with_its_direction_info(tab):
    tab.open("#view=networks&nsteps=60&nsharp=0")
    page = tab.page
    pca_alpha = by_uid(traces(tab, "nets-plane"))["path-0"]["x"]
    version = tab.version()
    page.get_by_test_id("nets-method-hessian").click()
    version = tab.settle(version)
    run = page.evaluate(RUN)
    plane = run["plane"]
    assert plane["method"] == "hessian" and page.evaluate(STATE)["nplane"]["name"] == "hessian"
    lam1, lam2 = plane["eigenvalues"]
    assert lam1 >= lam2 and plane["explained_variance"] is None
    info = page.get_by_test_id("nets-direction-info").inner_text()
    assert "top two Hessian eigenvectors" in info and "λ₁ = " in info and "λ₂ = " in info
    drawn = by_uid(traces(tab, "nets-plane"))
    assert drawn["path-0"]["x"] == pytest.approx(plane["paths"][0]["alpha"])
    assert drawn["path-0"]["x"] != pytest.approx(pca_alpha)
    title = page.evaluate("() => document.getElementById('nets-plane').layout.xaxis.title.text")
    assert title.startswith("α₁ along v₁ (λ = ")
    for i, path in enumerate(plane["paths"]):
        item = page.get_by_test_id("nets-trust-item").nth(i)
        assert float(item.get_attribute("data-ev")) == pytest.approx(path["explained_variance"], rel=1e-9)
    tab.shot("networks-hessian-plane")

    # keyboard: the method group is a radio group, arrows move the choice (Hessian → Random)
    page.get_by_test_id("nets-method-hessian").focus()
    page.keyboard.press("ArrowLeft")
    version = tab.settle(version)
    plane = page.evaluate(RUN)["plane"]
    assert plane["method"] == "random" and plane["direction_norms"][0] > 1
    assert "filter-normalized" in page.get_by_test_id("nets-direction-info").inner_text()
    assert page.evaluate("() => document.activeElement.dataset.mode") == "random"

    # 3D: the same plane as a surface, paths at their true loss
    page.get_by_test_id("nets-mode-3d").click()
    tab.settle(version)
    assert page.get_by_test_id("nets-plane").is_hidden() and page.get_by_test_id("nets-plane3d").is_visible()
    kinds = {t["uid"]: t["type"] for t in traces(tab, "nets-plane3d")}
    assert kinds["plane3d"] == "surface" and kinds["path3d-0"] == "scatter3d"
    tab.shot("networks-random-3d")
    tab.assert_clean()


ROUND_TRIP = ("#view=networks&ndata=circles(n=120,seed=3,noise=0.08,factor=0.4)"
              "&nmodel=relu(hidden=12,loss=auto,init=xavier,seed=2)&nopt=gd(lr=0.3,c=0);adam(lr=0.02,c=3)"
              "&nsteps=80&nbatch=32&nsharp=20&nplane=hessian(n=21,span=0.5,at=1,seed=1)&nplot=2d")


def test_the_url_hash_round_trips_the_scene(tab, context, server_url):
    tab.open(ROUND_TRIP)
    page = tab.page
    body = page.evaluate(BODY)
    assert body["dataset"] == {"name": "circles", "n": 120, "seed": 3, "params": {"noise": 0.08, "factor": 0.4}}
    assert body["model"] == {"hidden": [12], "activation": "relu", "init": "xavier", "seed": 2}
    assert body["optimizers"] == [{"name": "gd", "lr": 0.3}, {"name": "adam", "lr": 0.02}]
    assert (body["steps"], body["batch_size"], body["sharpness_every"]) == (80, 32, 20)
    assert body["plane"] == {"method": "hessian", "n": 21, "seed": 1, "span": 0.5, "run": 1}
    # the controls show the link's values
    assert page.get_by_test_id("nets-dataset").input_value() == "circles"
    assert page.get_by_test_id("nets-n").input_value() == "120"
    assert page.get_by_test_id("nets-hidden").input_value() == "12"
    assert page.get_by_test_id("nets-activation").input_value() == "relu"
    assert page.get_by_test_id("nets-batch").input_value() == "32"
    assert page.get_by_test_id("nets-center").input_value() == "1"
    assert page.get_by_test_id("opt-card").count() == 2
    run = page.evaluate(RUN)
    assert run["plane"]["center"] == {"kind": "final", "run": 1, "step": 80} and run["plane"]["span"] == 0.5

    # edit through the UI: the hash follows, and a fresh page from that hash rebuilds the same request
    version = tab.version()
    page.get_by_test_id("nets-hidden").fill("6, 5")
    page.get_by_test_id("nets-hidden").press("Enter")
    page.get_by_test_id("nets-steps").fill("60")
    page.get_by_test_id("nets-steps").press("Enter")
    tab.settle(version)
    # two edits, two trainings: the first may have settled before the second left, so wait for the second's
    page.wait_for_function("() => !window.__losslab.busy && window.__losslab.networkBody?.steps === 60"
                           " && String(window.__losslab.networkBody.model.hidden) === '6,5'", timeout=15000)
    url = page.url
    assert "nsteps=60" in url and "hidden=6x5" in url
    edited = page.evaluate(BODY)
    assert edited["model"]["hidden"] == [6, 5] and edited["steps"] == 60
    assert page.get_by_test_id("nets-d").inner_text() == f"d = {2 * 6 + 6 + 6 * 5 + 5 + 5 + 1} weights"
    fresh = context.new_page()
    try:
        fresh.goto(url)
        fresh.wait_for_function("() => window.__losslab && window.__losslab.isReady && !window.__losslab.busy"
                                " && window.__losslab.networkBody", timeout=15000)
        assert fresh.evaluate(BODY) == edited
        assert fresh.evaluate(STATE) == page.evaluate(STATE)
    finally:
        fresh.close()
    tab.assert_clean()


def test_a_422_shows_in_the_shared_banner_and_the_exact_surfaces_open_in_paths(tab):
    tab.allowed.append("422")
    tab.open("#view=networks&ndata=regression(n=60)&nmodel=tanh(hidden=4,loss=bce)&nsteps=20")
    banner = tab.page.get_by_test_id("error-banner")
    assert banner.is_visible()
    assert "model.loss 'bce' needs a classification dataset" in tab.page.get_by_test_id("error-text").inner_text()
    # fixing it from the controls clears the banner and trains
    version = tab.version()
    tab.page.get_by_test_id("nets-loss").select_option("auto")
    tab.settle(version)
    assert banner.is_hidden()
    run = tab.page.evaluate(RUN)
    assert run["model"]["loss"] == "mse" and run["decision"] is None and run["runs"][0]["accuracy"] is None

    # the hint to the exact 2-weight surfaces switches the Paths view to tiny_net
    version = tab.version()
    tab.page.get_by_test_id("nets-exact-tiny_net").click()
    tab.settle(version)
    state = tab.page.evaluate(STATE)
    assert state["view"] == "paths" and state["surface"] == "tiny_net"
    assert tab.page.get_by_test_id("scene-title").inner_text().startswith("Tiny network")
    assert tab.page.get_by_test_id("nets-plane").is_hidden()
    tab.assert_clean()


def test_narrow_screen_keeps_every_panel_inside_the_viewport(narrow_tab):
    narrow_tab.open(FAST)
    page = narrow_tab.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 420
    for testid in ("nets-decision", "nets-plane", "nets-chart-loss", "nets-chart-sharp", "nets-trust"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 420, testid
    narrow_tab.shot("networks-narrow-420")
    narrow_tab.assert_clean()
