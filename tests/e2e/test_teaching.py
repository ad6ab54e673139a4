"""Teaching mode in a real browser: step-through arrows and narration checked against POST /api/run
details=true and /api/point, every lesson link, scene switching and the keyboard-driven Lessons menu.

Fixtures (live uvicorn, Debian's Chromium, console-error / off-host recording) come from conftest.py.
Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import json
import math
import re

import httpx
import numpy as np
import pytest

pytestmark = pytest.mark.e2e

TEACH = "() => JSON.parse(JSON.stringify(window.__losslab.teach))"
STATE = "() => JSON.parse(JSON.stringify(window.__losslab.state))"
HASH = "() => location.hash"
SHAPES = "() => (document.getElementById('contour').layout.shapes || []).map(a => JSON.parse(JSON.stringify(a)))"
TRACES = """() => document.getElementById('contour').data.map(t => ({
  uid: t.uid, name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || []) }))"""
NARRATION = """() => Array.from(document.querySelectorAll('[data-testid=narration] li')).map(li => ({
  k: li.dataset.k, v: JSON.parse(li.dataset.v), text: li.innerText }))"""
BAR_VALUES = "els => els.map(e => e.dataset.v)"
WAIT_STEP = """(t) => { const k = window.__losslab.teach;
  return !!k && k.t === t && k.ready && !window.__losslab.busy; }"""
DEFAULT_SCENE = {"surface": {"name": "quadratic", "params": {"kappa": 50, "theta": 30}}, "start": [-4.0, 2.0],
                 "steps": 200, "schedule": {"name": "constant"}, "noise": {"sigma": 0.0, "seed": 0}}


def wait_step(tab, t: int) -> dict:
    tab.page.wait_for_function(WAIT_STEP, arg=t, timeout=15000)
    return tab.page.evaluate(TEACH)


def post(server_url: str, path: str, body: dict) -> dict:
    res = httpx.post(server_url + path, json=body, timeout=30)
    assert res.status_code == 200, res.text
    return res.json()


def shapes_by_name(tab) -> dict:
    return {a["name"]: a for a in tab.page.evaluate(SHAPES) if str(a.get("name", "")).startswith("teach-")}


def narration(tab) -> dict:
    return {item["k"]: item for item in tab.page.evaluate(NARRATION)}


def acute_angle(axis, v) -> float:
    cos = abs(np.dot(axis, v)) / (np.linalg.norm(axis) * np.linalg.norm(v))
    return math.degrees(math.acos(min(1.0, cos)))


def check_arrow(shapes: dict, key: str, start, vector, scale: float) -> None:
    """The shaft starts at `start`; the pixel-sized head's tip sits at start + scale·vector."""
    shaft, head = shapes[f"teach-{key}"], shapes[f"teach-{key}-head"]
    assert (shaft["x0"], shaft["y0"]) == pytest.approx(tuple(start), abs=1e-9)
    tip = (start[0] + scale * vector[0], start[1] + scale * vector[1])
    assert (head["xanchor"], head["yanchor"]) == pytest.approx(tip, abs=1e-9)
    assert head["path"].startswith("M0,0 ")  # the head's tip is its anchor
    # the shaft points at the tip
    sx, sy = shaft["x1"] - shaft["x0"], shaft["y1"] - shaft["y0"]
    assert abs(sx * vector[1] - sy * vector[0]) <= 1e-9 * (1 + math.hypot(*vector) * math.hypot(sx, sy))


def anchor(shape: dict) -> tuple:
    return (shape["xanchor"], shape["yanchor"])


def test_stepping_nesterov_with_the_keyboard_draws_and_narrates_the_api_details(tab, server_url):
    tab.open()
    page = tab.page
    version = tab.version()
    page.get_by_test_id("step-toggle").click()
    tab.settle(version)
    assert page.get_by_test_id("step-panel").is_visible()
    page.get_by_test_id("step-opt").select_option("2")  # Nesterov
    wait_step(tab, 0)
    assert "step=2" in page.evaluate(HASH)

    body = {**DEFAULT_SCENE, "optimizers": [{"name": "nesterov", "lr": 0.01, "momentum": 0.9}], "details": True}
    run = post(server_url, "/api/run", body)["runs"][0]
    d = run["details"]
    drawn = page.evaluate("() => window.__losslab.lastRun.runs[2].path")
    assert drawn == run["path"]  # the details run is the drawn run

    page.focus("#contour")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    teach = wait_step(tab, 3)
    x3, s = run["path"][3], teach["scale"]
    assert s >= 1
    shapes = shapes_by_name(tab)
    check_arrow(shapes, "gd_step", x3, d["gd_step"][3], s)
    gd_tip = [x3[0] + s * d["gd_step"][3][0], x3[1] + s * d["gd_step"][3][1]]
    check_arrow(shapes, "momentum", gd_tip, d["momentum"][3], s)  # tip to tail: −η∇f + momentum = update
    check_arrow(shapes, "update", x3, d["update"][3], s)
    tip = [x3[0] + s * d["update"][3][0], x3[1] + s * d["update"][3][1]]
    assert teach["arrows"]["update"]["to"] == pytest.approx(tip)
    if s > 1:
        assert shapes["teach-scale"]["label"]["text"] == f"arrows drawn ×{s:g}"
    assert anchor(shapes["teach-textbook"]) == tuple(d["textbook_point"][3])
    assert anchor(shapes["teach-iterate"]) == tuple(x3)
    assert anchor(shapes["teach-next"]) == tuple(run["path"][4])
    assert (shapes["teach-look"]["x0"], shapes["teach-look"]["y0"]) == tuple(d["textbook_point"][3])
    assert {"teach-label-update", "teach-label-gd_step", "teach-label-momentum"} <= set(shapes)

    # the narration's numbers, recomputed here from the API's details and /api/point at x_3
    geom = post(server_url, "/api/point", {"surface": body["surface"], "point": x3})
    g, u, m = (np.array(d[k][3]) for k in ("grad", "update", "momentum"))
    u_min, u_max = (np.array(v) for v in geom["eigenvectors"])
    angle = acute_angle(u_min, -g)
    share = float(m @ u / (u @ u))
    steep = 1 + geom["eigenvalues"][1] * float(u @ u_max) / float(np.array(geom["grad"]) @ u_max)
    said = narration(tab)
    assert said["angle"]["v"]["angle"] == pytest.approx(angle, abs=1e-6)
    assert f"{round(angle)}°" in said["angle"]["text"]
    assert said["share"]["v"]["share"] == pytest.approx(share, abs=1e-9)
    assert f"{round(100 * share)} %" in said["share"]["text"]
    assert said["steep"]["v"]["factor"] == pytest.approx(steep, rel=1e-6)
    assert "Step 3 → 4" in said["head"]["text"]
    dist = math.dist(x3, d["textbook_point"][3])
    assert said["look"]["v"]["dist"] == pytest.approx(dist, rel=1e-12)
    assert page.get_by_test_id("step-t").inner_text() == f"t = 3 / {len(run['path']) - 1}"
    tab.shot("step-nesterov-t3")

    # back one step: everything moves to x_2
    page.keyboard.press("ArrowLeft")
    wait_step(tab, 2)
    check_arrow(shapes_by_name(tab), "update", run["path"][2], d["update"][2], page.evaluate(TEACH)["scale"])
    assert "Step 2 → 3" in narration(tab)["head"]["text"]
    page.keyboard.press("Shift+ArrowRight")  # ten at a time
    wait_step(tab, 12)
    page.keyboard.press("End")
    wait_step(tab, 200)
    assert "Final iterate" in narration(tab)["final"]["text"]
    assert "teach-update" not in shapes_by_name(tab) and "teach-iterate" in shapes_by_name(tab)
    page.keyboard.press("Home")
    wait_step(tab, 0)
    assert page.get_by_test_id("step-prev").is_disabled()
    page.get_by_test_id("step-next").click()
    wait_step(tab, 1)
    tab.assert_clean()


def test_every_lesson_link_loads_its_scene_card_and_step_mode(tab, server_url):
    lessons = httpx.get(server_url + "/api/lessons").json()["lessons"]
    assert len(lessons) >= 8
    for lesson in lessons:
        slug = lesson["slug"]
        tab.open(f"#lesson={slug}")
        page = tab.page
        step = lesson["view"]["step_through"]
        teach = wait_step(tab, 0)
        names = [t["name"] for t in page.evaluate(TRACES) if (t["uid"] or "").startswith("path-")]
        assert names == [o["label"] for o in lesson["scene"]["optimizers"]], slug
        card = page.get_by_test_id("lesson-card")
        assert card.is_visible()
        assert page.get_by_test_id("lesson-title").inner_text() == lesson["title"]
        assert lesson["question"] in page.get_by_test_id("lesson-question").inner_text()
        assert page.get_by_test_id("lesson-notice").locator("p").text_content() == lesson["notice"]
        assert page.evaluate(HASH) == f"#lesson={slug}"
        state = page.evaluate(STATE)
        scene = lesson["scene"]
        assert (state["surface"], state["steps"]) == (scene["surface"]["name"], scene["steps"])
        assert state["start"] == scene["start"]
        assert state["sigma"] == scene["noise"]["sigma"] and state["card"] == slug
        assert teach["index"] == step and state["step"] == step
        assert state["eig"] == (25 if lesson["view"]["show_eigenvectors"] else 0)
        assert page.locator("[data-testid=narration] li").count() >= 2
        tab.shot(f"lesson-{lesson['number']}-{slug}")
    tab.assert_clean()


def test_switching_scenes_of_the_adam_lesson_and_the_adaptive_step_sizes(tab, server_url):
    lesson = httpx.get(server_url + "/api/lessons/adam-rotation").json()
    tab.open("#lesson=adam-rotation")
    page = tab.page
    wait_step(tab, 0)
    scenes = page.get_by_test_id("lesson-scene")
    assert scenes.count() == 2 and scenes.nth(0).get_attribute("aria-current") == "true"

    version = tab.version()
    scenes.nth(1).click()  # θ = 45°
    tab.settle(version)
    wait_step(tab, 0)
    assert page.evaluate(HASH) == "#lesson=adam-rotation&scene=2"
    state = page.evaluate(STATE)
    second = lesson["scenes"][1]["request"]
    assert state["sp"]["theta"] == 45 and state["start"] == second["start"] and state["cardscene"] == 1
    assert page.get_by_test_id("lesson-scene").nth(1).get_attribute("aria-current") == "true"

    # Adam's first step at 45°: η/(√v̂+ε) per coordinate and |Δ| ≈ η in both, as the API says
    run = post(server_url, "/api/run", {**second, "optimizers": [second["optimizers"][1]], "details": True})["runs"][0]
    eff, steps = ([float(v) for v in page.get_by_test_id(bars).locator(".bar-val").evaluate_all(BAR_VALUES)]
                  for bars in ("bars-eff", "bars-step"))
    assert eff == pytest.approx(run["details"]["effective_lr"][0], rel=1e-12)
    assert steps == pytest.approx([abs(v) for v in run["details"]["update"][0]], rel=1e-12)
    said = narration(tab)
    assert "nearly sign(g)·η" in said["sign"]["text"]
    u0, g0 = np.array(run["details"]["update"][0]), np.array(run["details"]["grad"][0])
    turn = math.degrees(math.acos(u0 @ -g0 / (np.linalg.norm(u0) * np.linalg.norm(g0))))
    assert said["turn"]["v"]["turn"] == pytest.approx(turn, abs=1e-6)
    tab.shot("lesson-adam-45")

    # back to θ = 0° through the first scene button
    version = tab.version()
    page.get_by_test_id("lesson-scene").nth(0).click()
    tab.settle(version)
    wait_step(tab, 0)
    assert page.evaluate(HASH) == "#lesson=adam-rotation"
    assert page.evaluate(STATE)["sp"]["theta"] == 0

    # a change by the user writes the ordinary state hash, which keeps the card
    version = tab.version()
    page.get_by_test_id("steps").fill("60")
    page.get_by_test_id("steps").press("Enter")
    tab.settle(version)
    hash_ = page.evaluate(HASH)
    assert "lesson=" not in hash_ and "steps=60" in hash_ and "card=adam-rotation" in hash_ and "step=1" in hash_
    assert page.get_by_test_id("lesson-card").is_visible()
    page.reload()
    tab.settle()
    assert page.get_by_test_id("lesson-card").is_visible() and page.evaluate(STATE)["steps"] == 60
    page.get_by_test_id("lesson-close").click()
    assert page.get_by_test_id("lesson-card").is_hidden()
    assert "card=" not in page.evaluate(HASH)
    tab.assert_clean()


def test_the_lessons_menu_works_from_the_keyboard(tab):
    tab.open()
    page = tab.page
    button = page.get_by_test_id("lessons-button")
    menu = page.get_by_test_id("lessons-menu")
    button.focus()
    page.keyboard.press("Enter")
    menu.wait_for(state="visible")
    assert button.get_attribute("aria-expanded") == "true"
    focused = "() => document.activeElement.dataset.slug || null"
    page.wait_for_function("() => document.activeElement.dataset.slug === 'ill-conditioning'")
    assert menu.get_by_role("menuitem").count() >= 8
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == "momentum-acceleration"
    page.keyboard.press("Escape")
    assert menu.is_hidden() and page.evaluate("() => document.activeElement.dataset.testid") == "lessons-button"
    page.keyboard.press("ArrowDown")  # opens on the first item again
    page.wait_for_function("() => document.activeElement.dataset.slug === 'ill-conditioning'")
    page.keyboard.press("End")
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == "adam-rotation"
    tab.shot("lessons-menu")
    version = tab.version()
    page.keyboard.press("Enter")
    tab.settle(version)
    wait_step(tab, 0)
    assert menu.is_hidden()
    assert page.evaluate(HASH) == "#lesson=adam-rotation"
    assert page.get_by_test_id("lesson-title").inner_text() == "Adam is not rotation invariant"
    assert json.loads(json.dumps(page.evaluate(STATE)["opt"]))[1]["name"] == "adam"
    assert re.fullmatch(r"Lesson 7 of \d+", page.get_by_test_id("lesson-card").locator(".lesson-num").text_content())
    tab.assert_clean()
