"""Page latency in a real browser: how long from a slider `input` (or a click) until the new paths are
drawn, and how many distinct redraws a continuous drag gets (issue 20).

    python bench/latency.py [--trials 30] [--drags 3] [--url http://127.0.0.1:8000] [--json out.json]

Starts its own server on 127.0.0.1 unless --url is given; drives Debian's Chromium (/usr/bin/chromium,
headless, --disable-gpu) through Playwright at 1440×900 on the default scene (200 steps).

"Drawn" is read from the page's hook `window.__losslab.drawn` = {count, at, runKey, done, live}: `at`
is performance.now() right after the frame that drew the paths of run `runKey` (the body of the
/api/run request, as JSON), `count` counts such frames. `window.__losslab.wantRun` is the run the
controls ask for. A trial dispatches one `input` on a range control, notes performance.now() and
waits until a draw of the wanted, complete run happened after it; trials are separated by a settled
page (nothing in flight, the idle redraw of the side charts done). A drag (2 s of inputs every 16 ms) is
repeated `--drags` times: its row shows the median redraw rate and the median delay of the final value, and
the worst of those delays.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]

READY = "() => window.__losslab && window.__losslab.isReady && !window.__losslab.busy"
# one input on a range at position `pos`; resolves with ms until the wanted run is drawn
SLIDE = """async ([sel, pos]) => {
  const h = window.__losslab; const el = document.querySelector(sel);
  el.value = String(pos);
  const t0 = performance.now();
  el.dispatchEvent(new Event('input', {bubbles: true}));
  const want = h.wantRun;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1));
    const d = h.drawn;
    if (d.at > t0 && d.runKey === want && d.done) return [d.at - t0, d.ms];
    if (performance.now() - t0 > 10000) return null;
  }
}"""
# inputs every `every` ms over [lo, hi] for `ms`; redraws counted while dragging, then the final value's delay,
# from the last input that changed the value (at the turning points two inputs in a row can give one value)
DRAG = """async ([sel, lo, hi, ms, every]) => {
  const h = window.__losslab; const el = document.querySelector(sel);
  const c0 = h.drawn.count; const t0 = performance.now(); let last = t0; let i = 0;
  while (performance.now() - t0 < ms) {
    const f = (i++ % 40) / 39; const tri = f < 0.5 ? 2 * f : 2 - 2 * f;
    el.value = String(Math.round(lo + (hi - lo) * tri));
    const before = h.wantRun; const at = performance.now();
    el.dispatchEvent(new Event('input', {bubbles: true}));
    if (h.wantRun !== before) last = at;
    await new Promise((r) => setTimeout(r, every));
  }
  const dragMs = performance.now() - t0; const during = h.drawn.count - c0;
  const want = h.wantRun;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1));
    const d = h.drawn;
    const perSecond = during / (dragMs / 1000);
    if (d.at > last && d.runKey === want && d.done) return {perSecond, final: d.at - last, inputs: i};
    if (performance.now() - last > 10000) return {perSecond, final: null, inputs: i};
  }
}"""
# pixel of a data point on the contour plot
TO_PIXEL = """(pt) => { const gd = document.getElementById('contour');
  const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return [r.left + gd._fullLayout.xaxis.l2p(pt[0]), r.top + gd._fullLayout.yaxis.l2p(pt[1])]; }"""
ARM_CLICK = """() => { window.__benchDown = null;
  window.addEventListener('pointerdown', () => { window.__benchDown = performance.now(); },
    {once: true, capture: true}); }"""
CLICK_DONE = """async () => { const h = window.__losslab;
  for (;;) { await new Promise((r) => setTimeout(r, 1));
    const t0 = window.__benchDown; const d = h.drawn;
    if (t0 !== null && d.at > t0 && d.runKey === h.wantRun && d.done && h.wantRun.includes('"start"')) {
      const settled = !h.busy; return {first: d.at - t0, settledAt: settled ? performance.now() - t0 : null}; }
  } }"""


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))
    return xs[k]


def settle(page) -> None:
    page.wait_for_function(READY, timeout=90000)
    page.wait_for_timeout(60)


def slider_trials(page, sel: str, positions: list[int], trials: int, draw: dict, key: str) -> list[float]:
    """Latencies (ms) of `trials` inputs; the time the page spent in the drawing frame goes to draw[key]."""
    print(f"  {sel} × {trials}", file=sys.stderr, flush=True)
    out, spent = [], []
    for i in range(trials):
        r = page.evaluate(SLIDE, [sel, positions[i % len(positions)]])
        if r is not None:
            out.append(r[0])
            spent.append(r[1])
        settle(page)
    draw[key] = spent
    return out


def click_trials(page, trials: int) -> tuple[list[float], list[float]]:
    first, settled = [], []
    points = [(-3, 2.5), (2.5, -3), (-2, -3.5), (3.5, 1.5)]
    for i in range(trials):
        x, y = page.evaluate(TO_PIXEL, list(points[i % len(points)]))
        page.evaluate(ARM_CLICK)
        page.mouse.click(x + (i % 3), y)
        r = page.evaluate(CLICK_DONE)
        first.append(r["first"])
        t = page.evaluate("() => window.__benchDown")
        settle(page)
        settled.append(page.evaluate("(t) => performance.now() - t", t) if r["settledAt"] is None else r["settledAt"])
    return first, settled


def drag_trials(page, args: list, drags: int) -> dict:
    """`drags` drags of the same slider, a settled page between them: median rate and final delay, worst delay."""
    print(f"  {args[0]} dragged × {drags}", file=sys.stderr, flush=True)
    out = []
    for _ in range(drags):
        out.append(page.evaluate(DRAG, args))
        settle(page)
    finals = [d["final"] for d in out]
    ok = [f for f in finals if f is not None]
    return {"perSecond": statistics.median(d["perSecond"] for d in out), "finals": finals,
            "final": statistics.median(ok) if len(ok) == len(finals) else None, "worst": max(ok) if ok else None}


def run(base: str, trials: int, drags: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    res: dict = {}
    draw: dict = {}
    res["draw_ms"] = draw
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(base + "/")
        settle(page)
        lr = "[data-testid=optimizer-list] > li:nth-child(1) [data-testid=opt-lr-range]"
        mu = "[data-testid=optimizer-list] > li:nth-child(2) [data-testid=opt-momentum-range]"
        beta = "[data-testid=optimizer-list] > li:nth-child(4) [data-testid=opt-beta1-range]"
        kappa = "[data-testid=sp-kappa-range]"
        # GD's η slider is log over 1e-5..10 in 1000 positions: 0.03 sits at ~578; stay on the stable side
        res["eta"] = slider_trials(page, lr, [560, 570, 585, 575, 565, 580], trials, draw, "eta")
        res["mu"] = slider_trials(page, mu, [0.85, 0.8, 0.88, 0.82], trials, draw, "mu")
        res["beta"] = slider_trials(page, beta, [0.85, 0.8, 0.88, 0.82], max(6, trials // 3), draw, "beta")
        res["kappa"] = slider_trials(page, kappa, [560, 590, 620, 600, 575, 610], trials, draw, "kappa")
        res["drag_eta"] = drag_trials(page, [lr, 540, 600, 2000, 16], drags)
        res["drag_kappa"] = drag_trials(page, [kappa, 520, 640, 2000, 16], drags)
        res["click_first"], res["click_settled"] = click_trials(page, max(6, trials // 3))
        page.goto(base + "/#plot=3d")
        settle(page)
        res["eta_3d"] = slider_trials(page, lr, [560, 570, 585, 575], max(6, trials // 3), draw, "eta_3d")
        res["kappa_3d"] = slider_trials(page, kappa, [560, 590, 620, 600], max(6, trials // 3), draw, "kappa_3d")
        browser.close()
    return res


def table(res: dict) -> str:
    rows = [("η slider → paths drawn", "eta", 50), ("μ slider → paths drawn", "mu", 50),
            ("β₁ slider → paths drawn", "beta", 50), ("κ slider → contour + paths drawn", "kappa", 120),
            ("click on the plot → paths from there (first draw)", "click_first", None),
            ("click on the plot → everything settled (side charts too)", "click_settled", None),
            ("3D: η slider → paths drawn", "eta_3d", 150), ("3D: κ slider → surface + paths drawn", "kappa_3d", 150)]
    out = ["| gesture (headless Chromium, 1440×900, default scene) | p50 | p95 | of which drawing (p50) | target p95 |",
           "|---|---:|---:|---:|---:|"]
    for label, key, target in rows:
        xs = res.get(key) or []
        spent = res.get("draw_ms", {}).get(key) or []
        if xs:
            drawing = f"{statistics.median(spent):.0f} ms" if spent else "—"
            out.append(f"| {label} | {statistics.median(xs):.0f} ms | {pct(xs, 0.95):.0f} ms | {drawing} | "
                       f"{f'≤ {target} ms' if target else '—'} |")
    drags = [("η slider dragged (input every 16 ms)", "drag_eta"),
             ("κ slider dragged (input every 16 ms)", "drag_kappa")]
    for label, key in drags:
        d = res.get(key)
        if d:
            fin = f"{d['final']:.0f} ms" if d["final"] is not None else "never"
            n = len(d.get("finals", []))
            if n > 1 and d.get("worst") is not None:
                fin += f" (worst {d['worst']:.0f} ms)"
            many = f" (median of {n} drags)" if n > 1 else ""
            out.append(f"| {label}: distinct redraws per second / final value drawn after the last input{many} | "
                       f"{d['perSecond']:.1f}/s | {fin} | — | ≥ 15/s, ≤ 50 ms |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--drags", type=int, default=3, help="drags of each slider (the final value's delay: their median)")
    ap.add_argument("--url", help="an already running server (default: start one)")
    ap.add_argument("--json", help="also write the raw figures here")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found (apt-get install -y chromium)")
    if a.url:
        ctx = contextlib.nullcontext(a.url.rstrip("/"))
    else:
        from tests.live_server import serving
        ctx = serving()
    with ctx as base:
        res = run(base, a.trials, a.drags)
    print(table(res))
    with open("/proc/loadavg") as fh:
        print(f"\nload average {' '.join(fh.read().split()[:3])}; {a.trials} trials per slider, {a.drags} drags")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
