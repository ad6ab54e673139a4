// teach/step.js — "Step through" on the Paths view: one optimizer's run, update by update.
//
// State: `step` (index into opt, null = off) lives in the store/URL; the iterate t is the shared time
// scrubber's. When step mode is on, the view POSTs /api/run {…, optimizers: [that one], details: true}
// (≤ 5000 steps) and, for each iterate shown, /api/point at x_t (curvature and ∇f there). The arrows
// (teach/arrows.js) and the narration (teach/narrate.js) are computed from those answers only.
// Keys: ←/→ one step (Shift: 10), Home/End, while the contour plot or the step card has focus.
// Test hook: window.__losslab.teach = {index, t, ready, numbers, arrows, scale}.

import { isAbort, postJSON } from "../api.js";
import { colorOf, displayNames } from "../controls/optimizers.js";
import { $ } from "../dom.js";
import { plotly } from "../plots/common.js";
import { stepOverlay } from "./arrows.js";
import { narrate, stepNumbers } from "./narrate.js";
import { buildPanel, fillSelect, renderBars, renderKey, renderNarration } from "./panel.js";

export const MAX_DETAIL_STEPS = 5000; // engine/details.py MAX_DETAIL_STEPS
const COORD_LIMIT = 1e6; // /api/point accepts |x|, |y| ≤ 1e6

export class StepMode {
  constructor(root, view, { runBody, surfaceRef }) {
    Object.assign(this, { root, view, runBody, surfaceRef, store: view.store, hooks: view.hooks });
    this.index = null; // the stepped optimizer while step mode is on
    this.details = null; // {key, run}: the details run of `wantKey`
    this.wantKey = null;
    this.geoms = new Map(); // t → /api/point at x_t (for details.key)
    this.loading = new Set();
    this.el = { toggle: $("#step-toggle", root), panel: $("#step-panel", root), contour: $("#contour", root) };
    this.ui = buildPanel(this.el.panel, {
      on: (action) => this.move(action),
      onPick: (i) => this.store.update((d) => { d.step = i; }),
      onClose: () => this.store.update((d) => { d.step = null; }),
    });
    this.el.toggle.addEventListener("click", () => this.store.update((d) => {
      d.step = d.step === null || d.step === undefined ? Math.min(this.lastIndex ?? 0, d.opt.length - 1) : null;
    }));
    const onKey = (ev) => this.onKey(ev);
    this.el.contour.addEventListener("keydown", onKey);
    this.el.panel.addEventListener("keydown", onKey);
    // Plotly's drag layer swallows the focus a click would give: take it explicitly
    this.el.contour.addEventListener("pointerdown", () => { if (this.active) this.el.contour.focus({ preventScroll: true }); });
    this.publish(null);
  }

  get active() { return this.index !== null; }

  /** Store changed (PathsView.onState). A new index, or a lesson, starts at the first iterate. */
  onState(s, source) {
    const i = Number.isInteger(s.step) && s.step >= 0 && s.step < s.opt.length ? s.step : null;
    const entering = i !== null && (i !== this.index || source === "lesson");
    this.index = i;
    this.el.toggle.setAttribute("aria-pressed", String(i !== null));
    this.el.panel.hidden = i === null;
    this.root.classList.toggle("stepping", i !== null);
    if (i === null) {
      this.el.contour.removeAttribute("tabindex");
      this.el.contour.removeAttribute("aria-keyshortcuts");
      this.details = null;
      this.wantKey = null;
      this.view.aborts.details?.abort();
      this.publish(null);
      return;
    }
    this.lastIndex = i;
    this.el.contour.tabIndex = 0;
    this.el.contour.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Home End");
    const names = displayNames(s.opt); const colors = s.opt.map(colorOf);
    this.color = colors[i];
    this.label = names[i];
    fillSelect(this.ui.select, names, colors, i);
    renderKey(this.ui.key, s.opt[i].name, this.color);
    const all = this.runBody(s);
    const body = { ...all, optimizers: [all.optimizers[i]], steps: Math.min(all.steps, MAX_DETAIL_STEPS), details: true };
    const key = JSON.stringify(body);
    if (key !== this.wantKey) { this.wantKey = key; this.fetchDetails(body, key); }
    if (entering) {
      const sc = this.view.scrubber;
      sc.stop();
      sc.follow = false;
      sc.set(0, true);
    }
    this.render();
  }

  fetchDetails(body, key) {
    this.view.exclusive("details", async (signal) => {
      const res = await postJSON("/api/run", body, { signal });
      if (key !== this.wantKey) return;
      this.details = { key, run: res.runs[0] };
      this.geoms = new Map();
      this.render();
    });
  }

  /** The stepped run's last iterate (the scrubber may run longer for other optimizers). */
  lastT() {
    const run = this.current();
    return run ? run.path.length - 1 : this.view.scrubber.max;
  }

  current() { return this.details && this.details.key === this.wantKey ? this.details.run : null; }

  move(action) {
    const t = this.view.scrubber.t;
    const to = { first: 0, prev: t - 1, next: t + 1, last: this.lastT() }[action];
    this.go(to);
  }

  go(t) {
    const sc = this.view.scrubber;
    sc.stop();
    sc.follow = false;
    sc.set(Math.max(0, Math.min(t, this.lastT())));
  }

  onKey(ev) {
    if (!this.active || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.target.closest?.("select, input, textarea")) return;
    const t = this.view.scrubber.t; const k = ev.shiftKey ? 10 : 1;
    const to = { ArrowRight: t + k, ArrowLeft: t - k, Home: 0, End: this.lastT() }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    this.go(to);
  }

  /** Scrubber moved (also by its own slider): redraw the overlay and the narration. */
  onTime() { if (this.active) this.render(); }

  // ---- numbers ---------------------------------------------------------------------------------
  numbers() {
    const run = this.current();
    if (!run || !run.path.length) return null;
    const t = Math.min(this.view.scrubber.t, run.path.length - 1);
    return stepNumbers(run, t, this.geomAt(t, run));
  }

  geomAt(t, run) {
    if (this.geoms.has(t)) return this.geoms.get(t);
    const local = this.constantGeom(run.path[t]);
    if (local) return local;
    this.fetchGeom(t, run);
    // the next step is usually asked for next (not while playing: every frame would ask)
    if (t + 1 < run.path.length && !this.view.scrubber.timer) this.fetchGeom(t + 1, run);
    return null;
  }

  /**
   * A surface with a constant Hessian H (quadratics, least squares) needs no request per iterate:
   * ∇f(x) = ∇f(x₀) + H(x − x₀) exactly, and the eigen-pairs are those /api/point gave at the start.
   */
  constantGeom(p) {
    const sc = this.view.scene; const s = this.store.get();
    const sk = JSON.stringify(this.surfaceRef(s));
    if (!sc.info?.constant_hessian || sc.surfaceKey !== sk || sc.pointKey !== sk + JSON.stringify(s.start)) return null;
    const g0 = sc.point; const H = g0.hessian; const x0 = s.start;
    if (!p || !p.every(Number.isFinite) || !g0.grad.every(Number.isFinite)) return null;
    const dx = [p[0] - x0[0], p[1] - x0[1]];
    const grad = [g0.grad[0] + H[0][0] * dx[0] + H[0][1] * dx[1], g0.grad[1] + H[1][0] * dx[0] + H[1][1] * dx[1]];
    return { grad, hessian: H, eigenvalues: g0.eigenvalues, eigenvectors: g0.eigenvectors, curvature: g0.curvature };
  }

  fetchGeom(t, run) {
    const key = this.details.key; const tag = `${key}|${t}`;
    const p = run.path[t];
    if (this.geoms.has(t) || this.loading.has(tag)) return;
    if (!p || !p.every((v) => Number.isFinite(v) && Math.abs(v) <= COORD_LIMIT)) { this.geoms.set(t, null); return; }
    this.loading.add(tag);
    postJSON("/api/point", { surface: this.surfaceRef(this.store.get()), point: p })
      .then((g) => { if (this.details?.key === key) this.geoms.set(t, g); })
      .catch((err) => { if (!isAbort(err) && this.details?.key === key) this.geoms.set(t, null); })
      .finally(() => {
        this.loading.delete(tag);
        if (this.details?.key === key && Math.min(this.view.scrubber.t, run.path.length - 1) === t) this.render();
        else this.publish(this.lastNumbers);
      });
  }

  // ---- drawing ------------------------------------------------------------------------------------
  /** {span: side of the visible square, centre} in data units, from the current zoom (or the domain). */
  viewBox() {
    const lay = this.el.contour.layout;
    let xr = lay?.xaxis?.range; let yr = lay?.yaxis?.range;
    const d = this.view.scene.info?.domain;
    if (!(xr && yr) && d) { xr = d.x; yr = d.y; }
    if (!(xr && yr)) return { span: 10, centre: [0, 0] };
    const span = Math.min(Math.abs(xr[1] - xr[0]), Math.abs(yr[1] - yr[0]));
    const px = this.el.contour._fullLayout?.xaxis?._length; // plot width in pixels, once drawn
    const unit = px > 0 ? Math.abs(xr[1] - xr[0]) / px : span / 500;
    const sorted = (r) => [Math.min(...r), Math.max(...r)];
    return { span, unit, centre: [(xr[0] + xr[1]) / 2, (yr[0] + yr[1]) / 2], box: [sorted(xr), sorted(yr)] };
  }

  overlayOf(n) { return stepOverlay(n, { color: this.color, ...this.viewBox() }); }

  /** For the renderer's full draw: {shapes, focus, hideStart} or null when step mode is off. */
  overlay() {
    if (!this.active) return null;
    const n = this.numbers();
    return { shapes: n ? this.overlayOf(n).shapes : [], focus: this.index, hideStart: true };
  }

  render() {
    const n = this.numbers();
    this.lastNumbers = n;
    const run = this.current();
    const t = n ? n.t : this.view.scrubber.t;
    this.ui.tLabel.textContent = `t = ${t} / ${run ? run.path.length - 1 : "…"}`;
    this.ui.buttons.first.disabled = this.ui.buttons.prev.disabled = t <= 0;
    this.ui.buttons.next.disabled = this.ui.buttons.last.disabled = !run || t >= run.path.length - 1;
    const g0 = run?.grad_norm?.[0];
    renderNarration(this.ui.narration, n ? narrate(n, { label: this.label, gradNorm0: g0 })
      : [["wait", {}, "Fetching the per-step details…"]]);
    renderBars(this.ui.bars, n, this.color);
    this.drawOverlay(n);
    this.publish(n);
  }

  /** Swap the overlay's shapes (one relayout; Plotly redraws only the shapes). */
  drawOverlay(n) {
    const gd = this.el.contour;
    if (!gd.data || !gd.layout) return;
    if (!this.zoomHooked && gd.on) {
      // a zoom changes how long the arrows may be drawn (magnification) and where labels go
      this.zoomHooked = true;
      gd.on("plotly_relayout", (ev) => {
        if (this.active && Object.keys(ev || {}).some((k) => /^[xy]axis\./.test(k))) this.render();
      });
    }
    const keep = (gd.layout.shapes || []).filter((sh) => !String(sh.name || "").startsWith("teach-"));
    const mine = n ? this.overlayOf(n).shapes : [];
    plotly().relayout(gd, { shapes: [...keep, ...mine] });
  }

  publish(n) {
    const ov = n && this.active ? this.overlayOf(n) : null;
    const strip = (v) => (v && typeof v === "object" && !Array.isArray(v) ? { ...v, geom: undefined, path: undefined } : v);
    this.hooks.teach = {
      index: this.index, t: n ? n.t : null, numbers: strip(n), arrows: ov?.arrows ?? null, scale: ov?.scale ?? null,
      ready: !!n && (n.last || n.lams !== undefined || this.geoms.get(n.t) === null),
      geom: n?.geom ?? null,
    };
  }
}
