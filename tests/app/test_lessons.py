"""Guided lessons: the menu and its routes, and every lesson's claims checked through the API.

Each lesson is loaded as the page loads it (GET /api/lessons/{slug}, then POST /api/run with its
scenes), and the behaviour and the numbers its notice quotes are asserted on the responses.
"""

from __future__ import annotations

import math
import re

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from app.lessons import LESSONS, normalization_lesson
from app.main import app
from engine.surfaces import REGISTRY as SURFACES

ORDER = ["ill-conditioning", "stability-cliff", "momentum-acceleration", "nesterov-vs-heavy-ball", "saddles",
         "many-minima", "adam-rotation", "normalization"]
HAS_LEAST_SQUARES = "least_squares" in SURFACES


def call(method: str, url: str, body: dict | None = None) -> httpx.Response:
    with TestClient(app) as client:  # its own loop thread: safe whatever loop the main thread runs
        return client.request(method, url, json=body)


def get_lesson(slug: str) -> dict:
    resp = call("GET", f"/api/lessons/{slug}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def run(request: dict, **extra) -> dict:
    resp = call("POST", "/api/run", {**request, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def scene_runs(slug: str, index: int = 0, **extra) -> tuple[dict, dict]:
    entry = get_lesson(slug)
    return entry, run(entry["scenes"][index]["request"], **extra)


def arr(run_out: dict, key: str = "path") -> np.ndarray:
    return np.array(run_out[key], dtype=float)


def first_below(values, threshold: float) -> int:
    """First index t with values[t] < threshold (the runs used here do get there)."""
    hits = np.flatnonzero(np.asarray(values, dtype=float) < threshold)
    assert hits.size, f"never below {threshold}"
    return int(hits[0])


def rotation(deg: float) -> np.ndarray:
    t = math.radians(deg)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


# ---- the menu ---------------------------------------------------------------------------

def test_menu_has_the_issue_lessons_in_order_with_complete_fields():
    resp = call("GET", "/api/lessons")
    assert resp.status_code == 200
    lessons = resp.json()["lessons"]
    assert [entry["slug"] for entry in lessons][:8] == ORDER
    assert [entry["number"] for entry in lessons] == list(range(1, len(lessons) + 1))
    for entry in lessons:
        assert entry["url"] == f"/#lesson={entry['slug']}"
        sentences = re.findall(r"[^.?!]+[.?!](?=\s|$)", entry["question"])
        assert len(sentences) == 2, entry["question"]
        assert len(re.findall(r"[.?!](?=\s|$)", entry["notice"])) >= 3
        assert entry["scenes"] and entry["scene"] == entry["scenes"][0]["request"]
        for item in entry["scenes"]:
            assert item["caption"]
            assert set(item["request"]) == {"surface", "start", "steps", "optimizers", "schedule", "noise"}
        n_opts = len(entry["scene"]["optimizers"])
        for hint in ("eta_slider_for", "step_through"):
            assert entry["view"][hint] is None or 0 <= entry["view"][hint] < n_opts
    assert len({entry["slug"] for entry in lessons}) == len(lessons)


def test_one_lesson_by_slug_and_unknown_slugs():
    assert get_lesson("saddles") == next(e for e in call("GET", "/api/lessons").json()["lessons"]
                                         if e["slug"] == "saddles")
    resp = call("GET", "/api/lessons/no-such-lesson")
    assert resp.status_code == 404
    detail = resp.json()["detail"]
    assert "no-such-lesson" in detail and all(slug in detail for slug in ORDER)


def test_routes_return_copies():
    get_lesson("saddles")["scene"]["steps"] = 1
    assert get_lesson("saddles")["scene"]["steps"] == 150


def test_openapi_documents_the_lesson_shapes():
    spec = call("GET", "/openapi.json").json()
    assert "/api/lessons" in spec["paths"] and "/api/lessons/{slug}" in spec["paths"]
    assert "404" in spec["paths"]["/api/lessons/{slug}"]["get"]["responses"]
    schemas = spec["components"]["schemas"]
    lesson_props = schemas["Lesson"]["properties"]
    assert {"slug", "title", "question", "notice", "scene", "scenes", "view", "url"} <= set(lesson_props)
    assert "description" in lesson_props["scenes"] and "ViewHints" in schemas


@pytest.mark.parametrize("slug", ORDER)
def test_every_scene_runs_with_its_labels(slug):
    for item in get_lesson(slug)["scenes"]:
        request = item["request"]
        out = run(request)
        assert [r["optimizer"]["label"] for r in out["runs"]] == [o["label"] for o in request["optimizers"]]
        assert all(len(r["path"]) == r["steps_taken"] + 1 for r in out["runs"])


# ---- 1. ill-conditioning ----------------------------------------------------------------

def test_1_gd_zigzags_at_the_optimal_rate():
    entry, out = scene_runs("ill-conditioning")
    theory = out["theory"]
    kappa, theta = 50.0, entry["scene"]["surface"]["params"]["theta"]
    assert theory["kappa"] == pytest.approx(kappa, rel=1e-12)
    assert entry["scene"]["optimizers"][0]["lr"] == pytest.approx(theory["eta_opt_gd"], rel=1e-14)
    rate = (kappa - 1) / (kappa + 1)
    path = arr(out["runs"][0])
    u, v = path @ rotation(theta)[:, 0], path @ rotation(theta)[:, 1]  # valley floor, steep direction
    assert np.all(np.sign(v[1:]) == -np.sign(v[:-1]))  # the zig-zag: every step crosses the valley
    assert np.all(np.sign(u) == np.sign(u[0]))  # ... but never crosses the floor's minimum
    np.testing.assert_allclose(v[1:] / v[:-1], -rate, rtol=1e-9)
    measured = [r["measured_rate"] for r in theory["runs"]]
    assert measured[0] == pytest.approx(rate, rel=0.01)
    assert measured[1] == pytest.approx(0.97, rel=0.01) and theory["runs"][1]["predicted_rate"] == pytest.approx(0.97)
    assert 1 - 0.03 * kappa == -0.5
    assert 575 < math.log(1e10) / -math.log(rate) < 576  # "ten orders of magnitude take about 575 steps"
    for quoted in (f"{theory['eta_opt_gd']:.4f}", f"{rate:.3f}", "0.970"):
        assert quoted in entry["notice"]
    # what the loss chart shows: η = 0.03 is lower until step 248, η* from step 249 on, and ends far lower
    best, small = (np.array(r["loss"], dtype=float) for r in out["runs"])
    behind = np.flatnonzero(best >= small)
    assert behind.max() == 248 and np.all(best[249:] < small[249:])
    assert "first 248 steps" in entry["notice"] and "step 249" in entry["notice"]
    assert round(small[-1] / best[-1]) == 816 and "816×" in entry["notice"]
    assert f"{best[-1]:.1e} vs {small[-1]:.1e}".replace("e-", "e−") in entry["notice"]


# ---- 2. the 2/λmax cliff ----------------------------------------------------------------

def test_2_just_below_the_cliff_converges_just_above_diverges():
    entry, out = scene_runs("stability-cliff")
    limit = out["theory"]["eta_max_stable_gd"]
    assert limit == pytest.approx(2 / out["theory"]["lambda_max"]) and limit == pytest.approx(0.2)
    below, above = out["runs"]
    assert below["optimizer"]["lr"] == pytest.approx(0.98 * limit)
    assert above["optimizer"]["lr"] == pytest.approx(1.02 * limit)
    assert below["status"] == "converged"
    assert np.all(np.diff(below["loss"]) < 0)  # the loss falls at every step
    assert above["status"] == "diverged" and above["steps_taken"] == 141 and "141" in entry["notice"]
    assert [r["stable"] for r in out["theory"]["runs"]] == [True, False]
    assert below["loss"][-1] < 1e-18 * below["loss"][0] and above["loss"][-1] > 1e6  # stopped near 1e4 × 137.5
    # θ = 0: the steep direction is y, multiplied by 1 − ηλmax = −0.96 and −1.04
    for run_out, factor in ((below, -0.96), (above, -1.04)):
        y = arr(run_out)[:, 1]
        np.testing.assert_allclose(y[1:50] / y[:49], factor, rtol=1e-9)
    assert np.abs(arr(above)[-1, 1]) > 500 and np.abs(arr(above)[-1, 0]) < 1e-13  # shallow x still converged


# ---- 3. momentum as acceleration --------------------------------------------------------

def test_3_polyak_momentum_needs_a_fraction_of_gds_steps():
    entry, out = scene_runs("momentum-acceleration")
    theory = out["theory"]
    kappa = theory["kappa"]
    assert kappa == pytest.approx(100)
    gd, heavy = entry["scene"]["optimizers"]
    assert gd["lr"] == pytest.approx(theory["eta_opt_gd"], rel=1e-14)
    assert heavy["lr"] == pytest.approx(theory["eta_opt_momentum"], rel=1e-14)
    assert heavy["momentum"] == pytest.approx(theory["momentum_opt"], rel=1e-14)
    steps_gd, steps_heavy = (first_below(r["loss"], 1e-8) for r in out["runs"])
    assert (steps_gd, steps_heavy) == (625, 88) and "625" in entry["notice"] and "88" in entry["notice"]
    assert steps_heavy < steps_gd / 3 and round(steps_gd / steps_heavy) == 7
    gd_loss, heavy_loss = (np.array(r["loss"], dtype=float) for r in out["runs"])
    assert np.all(heavy_loss[100:] < gd_loss[100:])  # the loss chart: momentum below GD from step 100 on
    rate_gd, rate_heavy = (r["predicted_rate"] for r in theory["runs"])
    assert rate_gd == pytest.approx(99 / 101) and rate_heavy == pytest.approx(9 / 11, rel=1e-6)
    # the √κ speed-up per step: −log(rate) is √κ times larger
    assert math.log(rate_heavy) / math.log(rate_gd) == pytest.approx(math.sqrt(kappa), rel=0.01)
    for quoted in (f"{-math.log(rate_heavy):.3f}", f"{-math.log(rate_gd):.3f}", f"{heavy['lr']:.4f}",
                   f"{heavy['momentum']:.3f}", f"{rate_heavy:.3f}", f"{rate_gd:.3f}"):
        assert quoted in entry["notice"]


# ---- 4. Nesterov vs heavy ball ----------------------------------------------------------

def test_4_nesterovs_band_is_narrower_than_heavy_balls():
    entry, out = scene_runs("nesterov-vs-heavy-ball")
    lam_max = out["theory"]["lambda_max"]
    heavy, nest_fast, nest_slow = entry["scene"]["optimizers"]
    mu = heavy["momentum"]
    assert nest_fast["momentum"] == nest_slow["momentum"] == mu == 0.9
    # docs/theory.md's bands, by hand
    assert heavy["lr"] * lam_max < 2 * (1 + mu)
    assert nest_fast["lr"] == heavy["lr"] and nest_fast["lr"] * lam_max > 2 * (1 + mu) / (1 + 2 * mu)
    assert nest_slow["lr"] * lam_max < 2 * (1 + mu) / (1 + 2 * mu)
    statuses = [r["status"] for r in out["runs"]]
    assert statuses[0] != "diverged" and statuses[1] == "diverged" and statuses[2] == "converged"
    assert out["runs"][1]["steps_taken"] == 6 and "after 6" in entry["notice"]
    assert out["runs"][0]["loss"][-1] < 1e-12
    # "Nesterov at η = 0.13 converges faster than heavy ball at 0.2": lower loss at every step from 20 on
    heavy_loss, slow_loss = (np.array(out["runs"][i]["loss"], dtype=float) for i in (0, 2))
    assert np.all(slow_loss[20:] < heavy_loss[20:]) and slow_loss[-1] < 1e-20 * heavy_loss[-1]
    runs = out["theory"]["runs"]
    assert [r["stable"] for r in runs] == [True, False, True]
    assert [r["eta_max_stable"] for r in runs] == pytest.approx([0.38, 3.8 / 28, 3.8 / 28])
    rates = [r["predicted_rate"] for r in runs]
    assert rates[0] == pytest.approx(math.sqrt(mu)) and rates[2] < rates[0]
    for quoted in (f"{rates[0]:.3f}", f"{rates[1]:.2f}", f"{rates[2]:.3f}", f"{3.8 / 2.8:.3f}", "0.1357"):
        assert quoted in entry["notice"]
    for r, rate in zip(runs, rates, strict=True):
        if r["measured_rate"] is not None and rate < 1:
            assert r["measured_rate"] == pytest.approx(rate, rel=0.01)


# ---- 5. saddles -------------------------------------------------------------------------

def longest_stretch(mask) -> int:
    best = cur = 0
    for flag in mask:
        cur = cur + 1 if flag else 0
        best = max(best, cur)
    return best


def test_5_gd_stalls_on_the_stable_manifold_noise_escapes_newton_is_attracted():
    entry, quiet = scene_runs("saddles", 0)
    assert entry["scenes"][0]["request"]["start"][1] == 1e-10
    (gd,) = quiet["runs"]
    small = np.array(gd["grad_norm"]) < 1e-3
    assert small.sum() == longest_stretch(small) == 76 and "76" in entry["notice"]
    path = arr(gd)
    assert abs(path[-1, 1]) == pytest.approx(1e-10 * 1.1**150, rel=1e-6) and abs(path[-1, 1]) < 2e-4
    assert f"{abs(path[-1, 1]):.1e}".replace("e-0", "e−") in entry["notice"]  # "1.6e−4"

    _, noisy = scene_runs("saddles", 1)
    assert entry["scenes"][1]["request"]["noise"]["sigma"] == 1e-3
    assert entry["scenes"][1]["request"]["start"] == entry["scenes"][0]["request"]["start"]
    (gd_noisy,) = noisy["runs"]
    y = arr(gd_noisy)[:, 1]
    assert not np.any(np.array(gd_noisy["grad_norm"]) < 1e-3)  # never stalls
    assert first_below(-np.abs(y), -1.0) == 95 and "step 95" in entry["notice"]
    assert abs(y[-1]) > 100 and gd_noisy["status"] == "max_steps"

    assert entry["scenes"][2]["request"]["start"] == [-2.0, 1.5]
    _, generic = scene_runs("saddles", 2)
    newton, gd_generic = generic["runs"]
    np.testing.assert_array_equal(arr(newton)[1:], 0.0)  # one step to the saddle (0, 0), and it stays
    assert newton["status"] == "converged"
    assert abs(arr(gd_generic)[-1, 1]) > 100  # GD from the same start escapes along y


# ---- 6. many minima ---------------------------------------------------------------------

def himmelblau_minima() -> np.ndarray:
    surfaces = call("GET", "/api/surfaces").json()["surfaces"]
    (info,) = [s for s in surfaces if s["name"] == "himmelblau"]
    return np.array([[m["x"], m["y"]] for m in info["minima"]])


def basins(out: dict, minima: np.ndarray) -> list[int]:
    assert all(r["status"] == "converged" for r in out["runs"])
    return [int(np.argmin(np.linalg.norm(minima - arr(r)[-1], axis=1))) for r in out["runs"]]


def test_6_gd_momentum_and_adam_end_in_different_minima():
    entry, out = scene_runs("many-minima")
    minima = himmelblau_minima()
    ends = basins(out, minima)
    named = [tuple(np.round(minima[i], 3)) for i in ends]
    assert named == [(3.584, -1.848), (3.0, 2.0), (-3.779, -3.283)]
    for r, i in zip(out["runs"], ends, strict=True):
        np.testing.assert_allclose(arr(r)[-1], minima[i], atol=1e-6)
    for x, y in named:
        assert f"({x:g}, {y:g})".replace("-", "−") in entry["notice"]
    start = entry["scene"]["start"]
    point = call("POST", "/api/point", {"surface": {"name": "himmelblau"}, "point": start}).json()
    assert point["grad"] == pytest.approx([4.0, -52.0])
    gd, momentum, adam = (arr(r) for r in out["runs"])
    assert np.all(np.abs(gd[gd[:, 1] < -2.1, 0]) < 0.1) and gd[:, 1].max() < -1.7  # up, then right near y ≈ −2
    assert momentum[:, 1].max() > 2.5  # carried up past GD's turn, across the middle
    np.testing.assert_allclose(adam[1] - adam[0], [-0.1, 0.1], rtol=1e-6)  # sign-like first step
    for dx in (0.1, -0.1):  # "move the start by 0.1 and the assignments change"
        moved = run({**entry["scene"], "start": [start[0] + dx, start[1]]})
        assert basins(moved, minima) != ends


# ---- 7. Adam and rotations --------------------------------------------------------------

def test_7_gd_is_rotation_invariant_adam_is_not():
    entry = get_lesson("adam-rotation")
    (_, flat), (_, turned) = ((s["caption"], s["request"]) for s in entry["scenes"])
    assert flat["surface"]["params"]["theta"] == 0 and turned["surface"]["params"]["theta"] == 45
    assert flat["surface"]["params"]["kappa"] == turned["surface"]["params"]["kappa"]
    assert flat["optimizers"] == turned["optimizers"]
    rot = rotation(45)
    np.testing.assert_allclose(turned["start"], rot @ flat["start"], rtol=0, atol=1e-12)
    a, b = run(flat, details=True), run(turned, details=True)
    (gd_a, adam_a), (gd_b, adam_b) = a["runs"], b["runs"]
    np.testing.assert_allclose(arr(gd_a) @ rot.T, arr(gd_b), rtol=0, atol=1e-9)
    np.testing.assert_allclose(gd_a["loss"], gd_b["loss"], rtol=1e-9, atol=1e-300)
    gap = np.linalg.norm(arr(adam_a) @ rot.T - arr(adam_b), axis=1)
    assert gap.max() > 1.0
    loss_a, loss_b = adam_a["loss"][50], adam_b["loss"][50]
    assert f"{loss_a:.3f}" == "0.055" and f"{loss_b:.2f}" == "2.24" and loss_b > 30 * loss_a
    assert (first_below(adam_a["loss"], 1e-6), first_below(adam_b["loss"], 1e-6)) == (149, 172)
    assert "0.055" in entry["notice"] and "2.24" in entry["notice"] and "149 vs 172" in entry["notice"]
    # first Adam step in valley coordinates (u along the floor, v across): 0.1 each at 0°, (0, −η√2) at 45°
    first_a = np.array(adam_a["details"]["update"][0]) @ rotation(0)
    first_b = np.array(adam_b["details"]["update"][0]) @ rot
    np.testing.assert_allclose(first_a, [0.1, -0.1], rtol=1e-6)
    np.testing.assert_allclose(first_b, [0.0, -0.1 * math.sqrt(2)], atol=1e-7)
    assert f"{0.1 * math.sqrt(2):.3f}" in entry["notice"]


# ---- 8. normalization -------------------------------------------------------------------

def steps_to_converge(run_out: dict) -> int:
    assert run_out["status"] == "converged"
    return first_below(run_out["grad_norm"], 1e-6)


def check_normalization(entry: dict) -> tuple[dict, dict, int, int]:
    """κ falls and GD at each scene's own η* converges in fewer steps after normalizing."""
    raw_req, norm_req = (s["request"] for s in entry["scenes"])
    raw, normed = run(raw_req), run(norm_req)
    assert normed["theory"]["kappa"] < raw["theory"]["kappa"] / 4
    for out in (raw, normed):
        assert out["runs"][0]["optimizer"]["lr"] == pytest.approx(out["theory"]["eta_opt_gd"], rel=1e-3)
        assert out["theory"]["runs"][0]["predicted_rate"] == pytest.approx(out["theory"]["rate_opt_gd"], rel=1e-3)
    n_raw, n_norm = steps_to_converge(raw["runs"][0]), steps_to_converge(normed["runs"][0])
    assert n_norm < n_raw / 4
    return raw["theory"], normed["theory"], n_raw, n_norm


def test_8_table_picks_least_squares_when_registered():
    lesson8 = LESSONS[ORDER.index("normalization")]
    assert lesson8["scene"]["surface"]["name"] == ("least_squares" if HAS_LEAST_SQUARES else "quadratic")
    assert get_lesson("normalization")["scene"] == lesson8["scene"]


def test_8_fallback_diagonal_rescaling():
    entry = normalization_lesson(use_least_squares=False)
    raw, normed, n_raw, n_norm = check_normalization(entry)
    assert raw["kappa"] == pytest.approx(100) and normed["kappa"] == pytest.approx(1)
    assert (n_raw, n_norm) == (876, 1) and "876 steps" in entry["notice"]
    # the second scene is the first in the coordinates z = (w₁, 10·w₂): same start, same loss
    raw_req, norm_req = (s["request"] for s in entry["scenes"])
    np.testing.assert_allclose(norm_req["start"], np.array(raw_req["start"]) * [1, 10], rtol=1e-15)
    assert run(norm_req)["runs"][0]["loss"][0] == pytest.approx(run(raw_req)["runs"][0]["loss"][0])


@pytest.mark.skipif(not HAS_LEAST_SQUARES, reason="least_squares surface not registered yet")
def test_8_least_squares_raw_vs_normalized():
    entry = get_lesson("normalization")
    raw, normed, _, _ = check_normalization(entry)
    notice = entry["notice"]
    for quoted in (f"κ = {raw['kappa']:.1f}", f"κ = {normed['kappa']:.2f}", f"{raw['rate_opt_gd']:.3f}",
                   f"{normed['rate_opt_gd']:.3f}"):
        assert quoted in notice
    # normalized, H is the features' correlation matrix: GD's best rate is the sample correlation r
    from engine.surfaces import make_surface

    features = make_surface("least_squares", {"normalize": True}).X
    r = np.corrcoef(features.T)[0, 1]
    assert normed["rate_opt_gd"] == pytest.approx(abs(r), rel=1e-9)


# ---- one display name per optimizer -----------------------------------------------------

def test_labels_start_with_the_pages_display_name():
    """A lesson's label says "Momentum …", as the page's table (static/js/optimizer-style.js) names it."""
    from pathlib import Path

    table = Path(__file__).resolve().parents[2] / "static" / "js" / "optimizer-style.js"
    names = dict(re.findall(r'^\s+(\w+): \{ name: "([^"]+)"', table.read_text(), flags=re.M))
    assert names["momentum"] == "Momentum" and names["adam"] == "Adam" and len(names) >= 9
    for entry in LESSONS:
        for item in entry["scenes"]:
            for opt in item["request"]["optimizers"]:
                assert opt["label"].split(" ")[0].rstrip(",") == names[opt["name"]], (entry["slug"], opt["label"])
